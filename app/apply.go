package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// change is one command on one stream.
type change struct {
	command string // the command's name, as in the ids and error messages
	stream  string
	env     Envelope
	ids     ids
	// unwritten says the stream's name holds an id drawn at random for this
	// command, so nothing can be stored in it yet: the first attempt reads
	// nothing and appends expecting no stream.
	unwritten bool
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
	// same idempotency key and this one appended nothing; by is that
	// request's cause (nil when unknown).
	replayed bool
	by       *cause
}

// apply runs the read → decide → append loop of one command. The stream
// comes from the cache when it is there; an append expecting the cached
// revision is checked by the store, and every answer that appends nothing
// is confirmed against the store before it is given (package doc, Stream
// cache).
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
	l := loaded{confirmed: true} // an unwritten stream is known to be empty
	if !ch.unwritten {
		var err error
		if l, err = c.read(ctx, ch.stream); err != nil {
			return outcome{}, err
		}
	}
	if _, found := replay(l, ch.ids, 0); ch.ids.derived && !found && !l.confirmed && !c.exactWrote {
		// An earlier request with the same key may have been stored after
		// the cached state (by another process). Appending the same ids
		// there would be absorbed by the store and, with a store that
		// cannot say so (Wrote inexact), answered as this request's own,
		// not as the replay it is: read what the cache lacks first. (A
		// replay the cache holds is answered from it. With an exact Wrote,
		// appended tells the absorbed append apart: this read was every
		// automatic offer's, 5 % of the server's CPU under bench e2e.)
		var err error
		if l, err = c.refresh(ctx, ch.stream, l); err != nil {
			return outcome{}, err
		}
	}
	var lost error
	for attempt := 0; attempt < c.cfg.Attempts; {
		events, out, err := c.judge(ctx, ch, l)
		if len(events) == 0 && !l.confirmed && (err != nil || !out.replayed) {
			// A refusal or a no-op decided on the cache must hold for the
			// stream as stored: read what the cache lacks and, if there is
			// anything, decide again. (A replay needs no check: the events
			// it found never change.)
			fresh, rerr := c.refresh(ctx, ch.stream, l)
			if rerr != nil {
				return outcome{}, rerr
			}
			if fresh.next() != l.next() {
				l = fresh
				continue
			}
			l = fresh
		}
		if err != nil {
			return outcome{}, err
		}
		if len(events) == 0 {
			if len(out.history) > 0 && out.position == unknownPosition {
				// The answer ends at an event this process appended with
				// others after it in one append, whose position the store
				// did not report: read the stream with its positions.
				if l, err = c.load(ctx, ch.stream); err != nil {
					return outcome{}, err
				}
				c.keep(ch.stream, loaded{}, l)
				continue
			}
			return out, nil
		}
		data, err := c.encode(events, ch, correlation, causation)
		if err != nil {
			return outcome{}, err
		}
		res, err := c.store.Append(ctx, ch.stream, eventstore.ExpectNext(l.next()), data...)
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			lost = err
			if attempt++; attempt == c.cfg.Attempts {
				break
			}
			// Another writer appended after the state decided on (read just
			// now, or cached): read only what it appended and decide again.
			if l, err = c.refresh(ctx, ch.stream, l); err != nil {
				return outcome{}, err
			}
			continue
		}
		if err != nil {
			return outcome{}, fmt.Errorf("append %d events to %s: %w", len(events), ch.stream, err)
		}
		mine := &proposal{data: data, events: events,
			cause: &cause{id: causation, subject: ch.env.Actor.Subject, role: ch.env.Actor.Role, fingerprint: ch.env.Fingerprint}}
		return c.appended(ctx, ch, l, mine, res)
	}
	return outcome{}, fmt.Errorf("%s: other writers changed %s before each of %d attempts could append: %w",
		ch.command, ch.stream, c.cfg.Attempts, lost)
}

// judge decides the command on one state of its stream: either the events
// to append, or an answer that appends nothing (a retry's replay, nothing to
// do) or a refusal.
func (c *Commands) judge(ctx context.Context, ch change, l loaded) ([]domain.Event, outcome, error) {
	// A retry is answered before anything else is checked: the stream has
	// moved on by the first request's own events, so If-Match and the
	// decision would both refuse it.
	if out, ok := replay(l, ch.ids, 0); ok {
		if err := ch.sameRequest(out); err != nil {
			return nil, outcome{}, err
		}
		return nil, out, nil
	}
	if m := ch.env.IfMatch; m != nil && len(l.records) > 0 && l.next()-1 != *m {
		return nil, outcome{}, fmt.Errorf("%w: If-Match names revision %d of %s, but its current revision is %d; reload it and decide again",
			ErrPreconditionFailed, *m, ch.stream, l.next()-1)
	}
	events, err := ch.decide(ctx, l.history, c.clock.Now())
	if err != nil {
		return nil, outcome{}, err
	}
	if len(events) == 0 {
		return nil, current(l), nil
	}
	return events, outcome{}, nil
}

// appended is the outcome of an append that succeeded after l; it caches
// the stream as it now is.
func (c *Commands) appended(ctx context.Context, ch change, l loaded, mine *proposal, res eventstore.AppendResult) (outcome, error) {
	events := mine.events
	if ch.ids.derived && !res.Wrote {
		// The append may have been absorbed as the retry of a concurrent
		// request with the same key, whose events differ from ours in
		// their times: answer with what is stored. Only the events from
		// our first revision on are read, and those stored as we proposed
		// them are not decoded again. (A store that reports Wrote stored
		// ours: without it every automatic offer was read back here, 8 %
		// of the server's CPU under bench e2e.)
		fresh, err := c.readAfter(ctx, ch.stream, l, mine)
		if err == nil {
			c.keep(ch.stream, l, fresh)
			if out, ok := replay(fresh, ch.ids, len(l.records)); ok {
				// Stored by a racing request with other parameters: ours
				// was absorbed, not applied.
				if err := ch.sameRequest(out); err != nil {
					return outcome{}, err
				}
				// An exact Wrote proves an earlier request stored them;
				// otherwise which of two racing requests came first is
				// unknown, and ours is answered as an original.
				out.replayed = c.exactWrote
				return out, nil
			}
		}
		// What is stored could not be read back: answer with our events,
		// as the store reported them, but do not cache a guess.
		if c.cache != nil {
			c.cache.drop(ch.stream, res.NextRevision)
		}
		return outcome{history: append(clip(l.history), events...), events: events, revision: res.NextRevision - 1, position: res.Position}, nil
	}
	// l's slices are clipped (readAfter, the cache), so these appends copy.
	next := l.next()
	grown := loaded{records: l.records, history: append(l.history, events...)}
	for i, d := range mine.data {
		pos := unknownPosition
		if i == len(mine.data)-1 {
			pos = res.Position
		}
		grown.records = append(grown.records, record{id: d.ID, revision: next + uint64(i), position: pos, cause: mine.cause})
	}
	if c.cache != nil {
		if res.NextRevision == next+uint64(len(events)) {
			c.cache.put(ch.stream, grown)
		} else {
			// The store placed the events elsewhere than expected; only a
			// read can tell the stream as it is.
			c.cache.drop(ch.stream, res.NextRevision)
		}
	}
	return outcome{history: grown.history, events: events, revision: res.NextRevision - 1, position: res.Position}, nil
}

// current is the outcome of a command that had nothing to do.
func current(l loaded) outcome {
	out := outcome{history: l.history}
	if n := len(l.records); n > 0 {
		out.revision, out.position = l.records[n-1].revision, l.records[n-1].position
	}
	return out
}

// replay finds, from the from-th event on, the events an earlier request
// with the same idempotency key appended, and returns the outcome it had.
// Its slices are clipped: they share the stream's arrays, which may be the
// cache's.
func replay(l loaded, x ids, from int) (outcome, bool) {
	if !x.derived {
		return outcome{}, false
	}
	first := x.event(0)
	for i := from; i < len(l.records); i++ {
		if l.records[i].id != first {
			continue
		}
		n := 1
		for i+n < len(l.records) && l.records[i+n].id == x.event(n) {
			n++
		}
		last := l.records[i+n-1]
		return outcome{
			by:       l.records[i].cause,
			history:  l.history[: i+n : i+n],
			events:   l.history[i : i+n : i+n],
			revision: last.revision,
			position: last.position,
			replayed: true,
		}, true
	}
	return outcome{}, false
}

// sameRequest refuses a replay for a request whose parameters differ from
// those of the request that appended the events, when both are known.
func (ch change) sameRequest(out outcome) error {
	fp := ch.env.Fingerprint
	if fp == "" || out.by == nil || out.by.fingerprint == "" || out.by.fingerprint == fp {
		return nil
	}
	return fmt.Errorf("%w: %s on %s: Idempotency-Key %q was first used with other parameters (revision %d holds that request's result); send a new key for a new request",
		ErrIdempotencyKeyReused, ch.command, ch.stream, ch.env.IdempotencyKey, out.revision)
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
		m := domain.NewMetadata(typ, ch.env.Actor, correlation, causation, ch.env.IdempotencyKey)
		if ch.env.IdempotencyKey != "" {
			m.RequestFingerprint = ch.env.Fingerprint
		}
		meta, err := m.Marshal()
		if err != nil {
			return nil, fmt.Errorf("metadata of %s: %w", typ, err)
		}
		out[i] = eventstore.EventData{ID: ch.ids.event(i), Type: typ, Data: data, Metadata: meta}
	}
	return out, nil
}
