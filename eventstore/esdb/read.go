package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := eventstore.ValidateStreamName(stream); err != nil {
		return nil, err
	}
	if err := eventstore.ValidateLimit(opts.Limit); err != nil {
		return nil, err
	}
	ro := esdb.ReadStreamOptions{From: esdb.Revision(opts.From)}
	if opts.Direction == eventstore.Backwards {
		ro.Direction = esdb.Backwards
		if opts.From == eventstore.StreamEnd {
			ro.From = esdb.End{}
		}
	}
	var out []eventstore.RecordedEvent
	err := s.do(ctx, func(c *esdb.Client) error {
		out = nil
		return s.read(ctx, func() (*esdb.ReadStream, error) {
			return c.ReadStream(ctx, stream, ro, uint64(opts.Limit))
		}, func(ev *esdb.RecordedEvent) { out = append(out, toRecorded(ev)) })
	})
	if err != nil {
		return nil, translate(ctx, fmt.Sprintf("read stream %q", stream), err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. It reads in pages and skips system
// events, so Limit counts only events the caller can see.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if err := eventstore.ValidateLimit(opts.Limit); err != nil {
		return nil, err
	}
	backwards := opts.Direction == eventstore.Backwards
	if backwards && opts.From == eventstore.Start {
		return nil, ctx.Err()
	}
	from := toAllPosition(opts.From)
	var out []eventstore.RecordedEvent
	// cont marks a forwards continuation page: it starts at the last event of
	// the previous page again (forwards reads include their start).
	cont, lastSeen := false, uint64(0)
	for len(out) < opts.Limit {
		ro := esdb.ReadAllOptions{From: from}
		if backwards {
			ro.Direction = esdb.Backwards
		}
		page := uint64(min(s.cfg.ReadPage, opts.Limit-len(out)))
		if cont {
			page++
		}
		var got int
		var last *esdb.RecordedEvent
		kept := len(out)
		err := s.do(ctx, func(c *esdb.Client) error {
			got, last, out = 0, nil, out[:kept]
			return s.read(ctx, func() (*esdb.ReadStream, error) {
				return c.ReadAll(ctx, ro, page)
			}, func(ev *esdb.RecordedEvent) {
				got++
				last = ev
				if cont && ev.Position.Commit == lastSeen {
					return
				}
				if len(out) < opts.Limit && !isSystem(ev.StreamID, ev.EventType) {
					out = append(out, toRecorded(ev))
				}
			})
		})
		if err != nil {
			return nil, translate(ctx, "read $all", err)
		}
		if uint64(got) < page || last == nil {
			break
		}
		from, lastSeen, cont = last.Position, last.Position.Commit, !backwards
	}
	return out, nil
}

// read runs one read call to its end, handing each event to each. A read
// call's errors come from Recv, not from the call (§3.6).
func (s *Store) read(ctx context.Context, open func() (*esdb.ReadStream, error), each func(*esdb.RecordedEvent)) error {
	rs, err := open()
	if err != nil {
		return err
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if ev.Event != nil {
			each(ev.Event)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// head is the stream's next revision and the position of its last event;
// zeros for a stream that has no events.
func (s *Store) head(ctx context.Context, stream string) (uint64, eventstore.Position, error) {
	evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{
		From: eventstore.StreamEnd, Direction: eventstore.Backwards, Limit: 1,
	})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if len(evs) == 0 {
		return 0, 0, nil
	}
	return evs[0].Revision + 1, evs[0].Position, nil
}

func toAllPosition(p eventstore.Position) esdb.AllPosition {
	switch p {
	case eventstore.Start:
		return esdb.Start{}
	case eventstore.End:
		return esdb.End{}
	}
	return esdb.Position{Commit: uint64(p), Prepare: uint64(p)}
}

func toRecorded(ev *esdb.RecordedEvent) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		StreamID: ev.StreamID,
		Revision: ev.EventNumber,
		Position: eventstore.Position(ev.Position.Commit),
		ID:       ev.EventID,
		Type:     ev.EventType,
		Data:     ev.Data,
		Metadata: ev.UserMetadata,
		Created:  ev.CreatedDate,
	}
}

// isSystem reports events the port never shows: those of system streams
// ('$…', including metastreams '$$…') and system types ($metadata,
// $streamDeleted, link events '$>').
func isSystem(stream, eventType string) bool {
	return strings.HasPrefix(stream, "$") || strings.HasPrefix(eventType, "$")
}
