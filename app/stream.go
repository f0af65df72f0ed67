package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// readPage is how many events one read of a stream asks for.
const readPage = 512

// loaded is a stream as a command reads it.
type loaded struct {
	recorded []eventstore.RecordedEvent
	history  []domain.Event
}

// next is the revision the stream's next event gets.
func (l loaded) next() uint64 {
	if len(l.recorded) == 0 {
		return 0
	}
	return l.recorded[len(l.recorded)-1].Revision + 1
}

// load reads a whole stream, oldest first, and decodes its events. A stream
// never written loads empty.
func (c *Commands) load(ctx context.Context, stream string) (loaded, error) {
	var l loaded
	from := eventstore.StreamStart
	for {
		page, err := c.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: readPage})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return l, nil
		}
		if err != nil {
			return loaded{}, fmt.Errorf("read stream %s: %w", stream, err)
		}
		for _, rec := range page {
			e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
			if err != nil {
				return loaded{}, fmt.Errorf("stream %s, revision %d: %w", stream, rec.Revision, err)
			}
			l.recorded = append(l.recorded, rec)
			l.history = append(l.history, e)
		}
		if len(page) < readPage {
			return l, nil
		}
		from = page[len(page)-1].Revision + 1
	}
}

// change is one command on one stream.
type change struct {
	command string // the command's name, as in the ids and error messages
	stream  string
	env     Envelope
	ids     ids
	// decide returns the events the command should append given the
	// stream's history; no events and no error means there is nothing to do.
	decide func(ctx context.Context, history []domain.Event, now time.Time) ([]domain.Event, error)
}

// outcome is what a command did to its stream.
type outcome struct {
	// history is the stream up to and including the command's events (the
	// whole stream as read when the command appended nothing).
	history []domain.Event
	// events are the command's events; none when there was nothing to do.
	events []domain.Event
	// revision is the revision of the last event of history; position the
	// global position of that event. Both are 0 for an empty history.
	revision uint64
	position eventstore.Position
	// replayed says the events were appended by an earlier request with the
	// same idempotency key and this one appended nothing.
	replayed bool
}

// apply runs the load → decide → append loop of one command.
func (c *Commands) apply(ctx context.Context, ch change) (outcome, error) {
	if err := ch.env.validate(); err != nil {
		return outcome{}, err
	}
	commandID := ch.ids.named("command").String()
	causation := ch.env.CausationID
	if causation == "" {
		causation = commandID
	}
	correlation := ch.env.CorrelationID
	if correlation == "" {
		correlation = ch.ids.named("correlation").String()
	}
	var lost error
	for attempt := 0; attempt < c.cfg.Attempts; attempt++ {
		l, err := c.load(ctx, ch.stream)
		if err != nil {
			return outcome{}, err
		}
		// A retry is answered before anything else is checked: the stream
		// has moved on by the first request's own events, so If-Match and
		// the decision would both refuse it.
		if out, ok := replay(l, ch.ids); ok {
			return out, nil
		}
		if m := ch.env.IfMatch; m != nil && len(l.recorded) > 0 && l.next()-1 != *m {
			return outcome{}, fmt.Errorf("%w: If-Match names revision %d of %s, but its current revision is %d; reload it and decide again",
				ErrPreconditionFailed, *m, ch.stream, l.next()-1)
		}
		events, err := ch.decide(ctx, l.history, c.clock.Now())
		if err != nil {
			return outcome{}, err
		}
		if len(events) == 0 {
			return current(l), nil
		}
		data, err := c.encode(events, ch, correlation, causation)
		if err != nil {
			return outcome{}, err
		}
		res, err := c.store.Append(ctx, ch.stream, eventstore.ExpectNext(l.next()), data...)
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			lost = err
			continue
		}
		if err != nil {
			return outcome{}, fmt.Errorf("append %d events to %s: %w", len(events), ch.stream, err)
		}
		if ch.ids.derived {
			// The append may have been absorbed as the retry of a
			// concurrent request with the same key, whose events differ
			// from ours in their times: answer with what is stored.
			if l, err = c.load(ctx, ch.stream); err == nil {
				if out, ok := replay(l, ch.ids); ok {
					out.replayed = false
					return out, nil
				}
			}
		}
		return outcome{
			history:  append(l.history, events...),
			events:   events,
			revision: res.NextRevision - 1,
			position: res.Position,
		}, nil
	}
	return outcome{}, fmt.Errorf("%s: other writers changed %s before each of %d attempts could append: %w",
		ch.command, ch.stream, c.cfg.Attempts, lost)
}

// current is the outcome of a command that had nothing to do.
func current(l loaded) outcome {
	out := outcome{history: l.history}
	if n := len(l.recorded); n > 0 {
		out.revision, out.position = l.recorded[n-1].Revision, l.recorded[n-1].Position
	}
	return out
}

// replay finds the events an earlier request with the same idempotency key
// appended, and returns the outcome it had.
func replay(l loaded, x ids) (outcome, bool) {
	if !x.derived {
		return outcome{}, false
	}
	first := x.event(0)
	for i, rec := range l.recorded {
		if rec.ID != first {
			continue
		}
		n := 1
		for i+n < len(l.recorded) && l.recorded[i+n].ID == x.event(n) {
			n++
		}
		last := l.recorded[i+n-1]
		return outcome{
			history:  l.history[:i+n],
			events:   l.history[i : i+n],
			revision: last.Revision,
			position: last.Position,
			replayed: true,
		}, true
	}
	return outcome{}, false
}

// encode turns the command's events into the store's form, with their ids
// and metadata.
func (c *Commands) encode(events []domain.Event, ch change, correlation, causation string) ([]eventstore.EventData, error) {
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		typ, data, err := domain.MarshalEvent(e)
		if err != nil {
			return nil, err
		}
		meta, err := domain.NewMetadata(typ, ch.env.Actor, correlation, causation, ch.env.IdempotencyKey).Marshal()
		if err != nil {
			return nil, fmt.Errorf("metadata of %s: %w", typ, err)
		}
		out[i] = eventstore.EventData{ID: ch.ids.event(i), Type: typ, Data: data, Metadata: meta}
	}
	return out, nil
}
