package esdb

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := s.checkOpen(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if size := appendSize(events); size > s.cfg.MaxAppendSize {
		return eventstore.AppendResult{}, fmt.Errorf(
			"%w: the append of %d events to %q is %d bytes as EventStoreDB counts them (data + metadata + 2 × type), above its MaxAppendSize of %d",
			eventstore.ErrEventTooLarge, len(events), stream, size, s.cfg.MaxAppendSize)
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("esdb: append to %q: %w", stream, err)
	}
	if len(events) == 0 {
		return s.emptyAppend(ctx, stream, expected)
	}
	proposed := make([]esdb.EventData, len(events))
	for i, ev := range events {
		proposed[i] = toEventData(ev)
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}
	var res *esdb.WriteResult
	err := s.do(ctx, func(c *esdb.Client) (err error) {
		res, err = c.AppendToStream(ctx, stream, opts, proposed...)
		return err
	})
	if isCode(err, esdb.ErrorCodeWrongExpectedVersion) {
		return eventstore.AppendResult{}, s.wrongExpected(ctx, stream, expected, err)
	}
	if err != nil {
		return eventstore.AppendResult{}, translate(ctx, fmt.Sprintf("append %d events to %q", len(events), stream), err)
	}
	// NextExpectedVersion is the last revision written, except that the
	// client turns a "no stream" answer into 1 (§2.6); that answer only comes
	// for empty appends, which never reach the server from here.
	return eventstore.AppendResult{
		NextRevision: res.NextExpectedVersion + 1,
		Position:     eventstore.Position(res.CommitPosition),
	}, nil
}

// emptyAppend checks the expectation against the stream's head and writes
// nothing, as the port requires. (The server would accept an empty append
// too, but answers it with a fresh log position and, for a missing stream, a
// revision the client reports as 1.)
func (s *Store) emptyAppend(ctx context.Context, stream string, expected eventstore.ExpectedRevision) (eventstore.AppendResult, error) {
	next, pos, err := s.head(ctx, stream)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !expected.Satisfied(next) {
		return eventstore.AppendResult{}, &eventstore.WrongExpectedRevisionError{
			Stream: stream, Expected: expected, Actual: eventstore.ExpectNext(next),
		}
	}
	return eventstore.AppendResult{NextRevision: next, Position: pos}, nil
}

func toExpected(e eventstore.ExpectedRevision) esdb.ExpectedRevision {
	if r, ok := e.Revision(); ok {
		return esdb.Revision(r)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	}
	return esdb.Any{}
}

// toEventData marks valid JSON as JSON so EventStoreDB's own projections and
// UI can read it; anything else is stored as binary. The zero ID is left for
// the client to replace with a random one.
func toEventData(ev eventstore.EventData) esdb.EventData {
	ct := esdb.ContentTypeBinary
	if json.Valid(ev.Data) {
		ct = esdb.ContentTypeJson
	}
	return esdb.EventData{
		EventID:     uuid.UUID(ev.ID),
		EventType:   ev.Type,
		ContentType: ct,
		Data:        ev.Data,
		Metadata:    ev.Metadata,
	}
}

// appendSize is an append's size as EventStoreDB's MaxAppendSize counts it.
func appendSize(events []eventstore.EventData) int {
	n := 0
	for _, ev := range events {
		n += len(ev.Data) + len(ev.Metadata) + 2*len(ev.Type)
	}
	return n
}
