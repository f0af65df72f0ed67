package esdbtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// streamsService implements event_store.client.streams.Streams. BatchAppend
// stays unimplemented: the v4.2.0 client never calls it.
type streamsService struct {
	streamsapi.UnimplementedStreamsServer
	srv *Server
}

// Append reads the whole request before deciding anything, as the real
// server does: failing early would make the client's Send return io.EOF and
// hide the status behind "could not send append request". The exception, as
// on the real server, is a request found to exceed MaxAppendSize.
func (s *streamsService) Append(as streamsapi.Streams_AppendServer) error {
	first, err := as.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	var events []proposed
	var bad error
	size := 0
	for {
		req, err := as.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		msg := req.GetProposedMessage()
		if msg == nil {
			bad = status.Error(codes.InvalidArgument, "expected a proposed message after the options")
			continue
		}
		ev, err := fromProposed(msg, streamTrailers(as))
		if err != nil && bad == nil {
			bad = err
		}
		size += len(ev.data) + len(ev.metadata) + 2*len(ev.eventType)
		events = append(events, ev)
		if size > s.srv.cfg.MaxAppendSize {
			// Like the real server, refuse as soon as the size is known to
			// be too large, without reading the rest of the request.
			return exceptionError(streamTrailers(as), codes.InvalidArgument, "maximum-append-size-exceeded",
				fmt.Sprintf("Maximum Append Size of %d Exceeded.", s.srv.cfg.MaxAppendSize),
				"maximum-append-size", fmt.Sprint(s.srv.cfg.MaxAppendSize))
		}
	}
	if err := s.srv.leaderCheck(streamTrailers(as)); err != nil {
		return err
	}
	if d := s.srv.cfg.AppendLatency; d > 0 {
		select {
		case <-time.After(d):
		case <-as.Context().Done():
			return status.FromContextError(as.Context().Err()).Err()
		}
	}
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	exp, err := expectationOf(opts.GetExpectedStreamRevision())
	if err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	res := s.srv.log.appendEvents(name, exp, events)
	switch res.outcome {
	case outcomeDeleted:
		return streamDeletedError(streamTrailers(as), name)
	case outcomeWrongExpected:
		return as.SendAndClose(&streamsapi.AppendResp{Result: &streamsapi.AppendResp_WrongExpectedVersion_{
			WrongExpectedVersion: wrongExpectedVersion(exp, res.current),
		}})
	}
	success := &streamsapi.AppendResp_Success{
		PositionOption: &streamsapi.AppendResp_Success_Position{Position: &streamsapi.AppendResp_Position{
			CommitPosition: res.position, PreparePosition: res.position,
		}},
	}
	if res.current < 0 {
		success.CurrentRevisionOption = &streamsapi.AppendResp_Success_NoStream{NoStream: &shared.Empty{}}
	} else {
		success.CurrentRevisionOption = &streamsapi.AppendResp_Success_CurrentRevision{CurrentRevision: uint64(res.current)}
	}
	return as.SendAndClose(&streamsapi.AppendResp{Result: &streamsapi.AppendResp_Success_{Success: success}})
}

// fromProposed checks the two system metadata keys the server requires and
// keeps only what it stores.
func fromProposed(msg *streamsapi.AppendReq_ProposedMessage, set trailerSetter) (proposed, error) {
	ev := proposed{data: msg.GetData(), metadata: msg.GetCustomMetadata()}
	id, err := uuidOf(msg.GetId())
	if err != nil {
		return ev, status.Error(codes.InvalidArgument, err.Error())
	}
	ev.id = id
	typ, okType := msg.GetMetadata()["type"]
	ct, okCT := msg.GetMetadata()["content-type"]
	if !okType || !okCT {
		return ev, exceptionError(set, codes.InvalidArgument, "missing-required-metadata-property",
			"Required metadata properties are missing: type and content-type are required")
	}
	if typ == "" {
		return ev, status.Error(codes.Unknown, "event type must not be empty")
	}
	ev.eventType, ev.isJSON = typ, ct == "application/json"
	return ev, nil
}

func expectationOf(opt any) (expectation, error) {
	switch v := opt.(type) {
	case *streamsapi.AppendReq_Options_Any, *streamsapi.DeleteReq_Options_Any, *streamsapi.TombstoneReq_Options_Any:
		return expectation{kind: expectAny}, nil
	case *streamsapi.AppendReq_Options_NoStream, *streamsapi.DeleteReq_Options_NoStream, *streamsapi.TombstoneReq_Options_NoStream:
		return expectation{kind: expectNoStream}, nil
	case *streamsapi.AppendReq_Options_StreamExists, *streamsapi.DeleteReq_Options_StreamExists, *streamsapi.TombstoneReq_Options_StreamExists:
		return expectation{kind: expectExists}, nil
	case *streamsapi.AppendReq_Options_Revision:
		return expectation{kind: expectRevision, revision: v.Revision}, nil
	case *streamsapi.DeleteReq_Options_Revision:
		return expectation{kind: expectRevision, revision: v.Revision}, nil
	case *streamsapi.TombstoneReq_Options_Revision:
		return expectation{kind: expectRevision, revision: v.Revision}, nil
	}
	return expectation{}, status.Error(codes.InvalidArgument, "expected_stream_revision is required")
}

func wrongExpectedVersion(exp expectation, current int64) *streamsapi.AppendResp_WrongExpectedVersion {
	w := &streamsapi.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch exp.kind {
	case expectAny:
		w.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_Any_20_6_0{Any_20_6_0: &shared.Empty{}}
	case expectExists:
		w.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_StreamExists_20_6_0{StreamExists_20_6_0: &shared.Empty{}}
	case expectNoStream:
		w.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
		w.ExpectedRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: ^uint64(0)}
	default:
		w.ExpectedRevisionOption = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
		w.ExpectedRevisionOption_20_6_0 = &streamsapi.AppendResp_WrongExpectedVersion_ExpectedRevision_20_6_0{ExpectedRevision_20_6_0: exp.revision}
	}
	return w
}

// uuidOf accepts both UUID forms the real server accepts: structured
// (Java-style most/least significant halves of the canonical bytes) and
// string.
func uuidOf(id *shared.UUID) ([16]byte, error) {
	var out [16]byte
	if st := id.GetStructured(); st != nil {
		binary.BigEndian.PutUint64(out[:8], uint64(st.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(out[8:], uint64(st.GetLeastSignificantBits()))
		return out, nil
	}
	if str := id.GetString_(); str != "" {
		u, err := uuid.Parse(str)
		if err != nil {
			return out, fmt.Errorf("event id %q is not a UUID: %w", str, err)
		}
		return u, nil
	}
	return out, errors.New("event id is missing")
}

func structuredUUID(id [16]byte) *shared.UUID {
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func uuidString(id [16]byte) string { return uuid.UUID(id).String() }
