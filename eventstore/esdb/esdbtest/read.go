package esdbtest

import (
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Read serves the four request shapes the v4.2.0 client sends (§3.1) and
// rejects every other combination with InvalidArgument, as the real server
// does. Non-subscription reads never send anything but events and
// stream_not_found: the client panics on anything else (§3.6).
func (s *streamsService) Read(req *streamsapi.ReadReq, rs streamsapi.Streams_ReadServer) error {
	if err := s.srv.leaderCheck(streamTrailers(rs)); err != nil {
		return err
	}
	o := req.GetOptions()
	if o == nil || o.GetUuidOption() == nil {
		return status.Error(codes.InvalidArgument, "uuid_option is required")
	}
	enc := encoder{asString: o.GetUuidOption().GetString_() != nil}
	backwards := o.GetReadDirection() == streamsapi.ReadReq_Options_Backwards
	filter := o.GetFilter()
	_, count := o.GetCountOption().(*streamsapi.ReadReq_Options_Count)
	_, subscribe := o.GetCountOption().(*streamsapi.ReadReq_Options_Subscription)
	switch {
	case o.GetStream() != nil && count && filter == nil:
		return s.readStream(o.GetStream(), backwards, o.GetCount(), enc, rs)
	case o.GetAll() != nil && count && filter == nil:
		return s.readAll(o.GetAll(), backwards, o.GetCount(), enc, rs)
	case o.GetStream() != nil && subscribe && filter == nil && !backwards:
		return s.subscribeStream(o.GetStream(), enc, rs)
	case o.GetAll() != nil && subscribe && !backwards:
		f, err := newFilter(filter)
		if err != nil {
			return err
		}
		return s.subscribeAll(o.GetAll(), f, enc, rs)
	}
	return status.Error(codes.InvalidArgument, "the combination of read options is invalid")
}

func (s *streamsService) readStream(o *streamsapi.ReadReq_Options_StreamOptions, backwards bool, count uint64, enc encoder, rs streamsapi.Streams_ReadServer) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	if count == 0 {
		return status.Error(codes.Unknown, "count must be at least 1")
	}
	v := s.srv.log.viewStream(name, 0)
	if v.tombstoned {
		return streamDeletedError(streamTrailers(rs), name)
	}
	if !v.found {
		return rs.Send(&streamsapi.ReadResp{Content: &streamsapi.ReadResp_StreamNotFound_{
			StreamNotFound: &streamsapi.ReadResp_StreamNotFound{StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}},
		}})
	}
	var from uint64
	switch {
	case o.GetEnd() != nil:
		from = ^uint64(0)
	case o.GetStart() != nil:
		from = 0
	default:
		from = o.GetRevision()
	}
	var out []*record
	if backwards {
		for i := len(v.events) - 1; i >= 0 && uint64(len(out)) < count; i-- {
			if v.events[i].revision <= from {
				out = append(out, v.events[i])
			}
		}
	} else {
		for _, r := range v.events {
			if uint64(len(out)) == count {
				break
			}
			if r.revision >= from {
				out = append(out, r)
			}
		}
	}
	for _, r := range out {
		if err := rs.Send(enc.event(r)); err != nil {
			return err
		}
	}
	return nil
}

// readAll reads the global log: forwards from a position including it,
// backwards from a position excluding it (§3.4). $all is never "not found".
func (s *streamsService) readAll(o *streamsapi.ReadReq_Options_AllOptions, backwards bool, count uint64, enc encoder, rs streamsapi.Streams_ReadServer) error {
	log := s.srv.log
	var out []*record
	switch {
	case backwards:
		i, _ := log.head()
		if p := o.GetPosition(); p != nil {
			i = log.index(p.GetCommitPosition(), true)
		} else if o.GetStart() != nil {
			i = 0
		}
		for i > 0 && uint64(len(out)) < count {
			batch, _ := log.allFrom(max(0, i-256), min(i, 256))
			for j := len(batch) - 1; j >= 0 && uint64(len(out)) < count; j-- {
				out = append(out, batch[j])
			}
			i -= len(batch)
		}
	default:
		var i int
		switch {
		case o.GetPosition() != nil:
			i = log.index(o.GetPosition().GetCommitPosition(), true)
		case o.GetEnd() != nil:
			i, _ = log.head()
		}
		for uint64(len(out)) < count {
			batch, _ := log.allFrom(i, int(min(count-uint64(len(out)), 256)))
			if len(batch) == 0 {
				break
			}
			out = append(out, batch...)
			i += len(batch)
		}
	}
	for _, r := range out {
		if err := rs.Send(enc.event(r)); err != nil {
			return err
		}
	}
	return nil
}

// encoder turns records into ReadResp events.
type encoder struct{ asString bool }

// event encodes a record as the 24.10 server does (§3.2): commit == prepare ==
// the log position, and exactly the three system metadata keys, "created"
// in .NET ticks since the Unix epoch (the client exits the process when it
// is missing).
func (e encoder) event(r *record) *streamsapi.ReadResp {
	id := structuredUUID(r.id)
	if e.asString {
		id = &shared.UUID{Value: &shared.UUID_String_{String_: uuidString(r.id)}}
	}
	contentType := "application/octet-stream"
	if r.isJSON {
		contentType = "application/json"
	}
	return &streamsapi.ReadResp{Content: &streamsapi.ReadResp_Event{Event: &streamsapi.ReadResp_ReadEvent{
		Event: &streamsapi.ReadResp_ReadEvent_RecordedEvent{
			Id:               id,
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.position,
			CommitPosition:   r.position,
			Metadata: map[string]string{
				"type":         r.eventType,
				"content-type": contentType,
				"created":      strconv.FormatInt(r.created.UnixNano()/100, 10),
			},
			CustomMetadata: r.metadata,
			Data:           r.data,
		},
		Position: &streamsapi.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.position},
	}}}
}
