package embedded

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

// appendRequest is one Append waiting for the writer.
type appendRequest struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	// events is the store's own copy: IDs assigned, Data and Metadata copied
	// (never nil), so neither the caller nor the ring can see the other's
	// changes.
	events []eventstore.EventData
	// fresh says the first ID was assigned by the store, so no stored event can
	// carry it and the idempotency lookup is skipped.
	fresh bool
	done  chan appendOutcome

	// Set by the writer while it handles the request's batch.
	outcome appendOutcome
	settled bool // failed for a reason of its own; a batch retry skips it
}

// requests recycles appendRequests (and their result channels) between
// appends; a request abandoned by a cancelled caller is left to the GC, since
// the writer may still hold it.
var requests = sync.Pool{New: func() any {
	return &appendRequest{done: make(chan appendOutcome, 1)}
}}

type appendOutcome struct {
	res eventstore.AppendResult
	err error
}

// Append implements eventstore.Store.
// ReportsWrote: the one writer knows whether it stored each append's events
// (see eventstore.WroteReporter).
func (s *Store) ReportsWrote() bool { return true }

var _ eventstore.WroteReporter = (*Store)(nil)

func (s *Store) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w", stream, err)
	}
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	req := requests.Get().(*appendRequest)
	req.ctx, req.stream, req.expected, req.fresh = ctx, stream, expected, false
	req.events = slices.Grow(req.events[:0], len(events))[:len(events)]
	// One buffer holds the copies of every event's data and metadata.
	size := 0
	for i := range events {
		size += len(events[i].Data) + len(events[i].Metadata)
	}
	buf := make([]byte, 0, size)
	carve := func(b []byte) []byte {
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	for i, ev := range events {
		if ev.ID == ([16]byte{}) {
			// Time-ordered: the event-id index takes it at its end.
			ev.ID = uuid.Must(uuid.NewV7())
			if i == 0 {
				req.fresh = true
			}
		}
		ev.Data = carve(ev.Data)
		ev.Metadata = carve(ev.Metadata)
		req.events[i] = ev
	}

	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w", stream, eventstore.ErrClosed)
	}
	select {
	case s.queue <- req:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return eventstore.AppendResult{}, fmt.Errorf("append to %q: %w", stream, ctx.Err())
	}

	select {
	case out := <-req.done:
		// The writer is done with the request (the ring keeps the event
		// data, not the request): it can serve another Append.
		clear(req.events)
		req.ctx = nil
		requests.Put(req)
		return out.res, out.err
	case <-ctx.Done():
		// The writer may still commit it: the port tells callers to retry with
		// the same IDs to learn the result.
		return eventstore.AppendResult{}, fmt.Errorf("append to %q abandoned while queued or committing: %w", stream, ctx.Err())
	}
}
