package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// readPage is how many events one read of a stream asks for.
const readPage = 512

// unknownPosition marks an event whose global position the command layer
// does not know: an append reports only its last event's position. End is
// never the position of an event.
const unknownPosition = eventstore.End

// record is what the command layer keeps of a stored event besides its
// decoded payload: enough to answer retries (id, revision, position) and to
// tell who caused it.
type record struct {
	id       uuid.UUID
	revision uint64
	position eventstore.Position // unknownPosition when not known
	cause    *cause              // nil when the metadata could not be read
}

// cause is what an event's metadata says about where it came from: the
// causation id and the actor. The events of one append share one.
type cause struct {
	id          string
	subject     string
	role        domain.Role
	fingerprint string // of the request that appended them; "" if unknown
}

// causeOf reads the cause from stored metadata, sharing prev when it is the
// same (consecutive events of one append).
func causeOf(metadata []byte, prev *cause) *cause {
	m, err := domain.ParseMetadata(metadata)
	if err != nil {
		return nil
	}
	c := cause{id: m.CausationID, subject: m.ActorSubject, role: m.ActorRole, fingerprint: m.RequestFingerprint}
	if prev != nil && *prev == c {
		return prev
	}
	return &c
}

// proposal is an append a command just made: the events as stored and
// decoded, and their cause.
type proposal struct {
	data   []eventstore.EventData
	events []domain.Event
	cause  *cause
}

// loaded is a stream as a command knows it: every event from the first, in
// order.
type loaded struct {
	records []record
	history []domain.Event
	// confirmed says the stream was read from the store during this command,
	// up to its end as it stood then. A stream from the cache is not: another
	// writer may have appended since.
	confirmed bool
}

// next is the revision the stream's next event gets.
func (l loaded) next() uint64 {
	if len(l.records) == 0 {
		return 0
	}
	return l.records[len(l.records)-1].revision + 1
}

// load reads a whole stream from the store, oldest first, and decodes its
// events. A stream never written loads empty. It neither consults nor fills
// the cache.
func (c *Commands) load(ctx context.Context, stream string) (loaded, error) {
	return c.readAfter(ctx, stream, loaded{}, nil)
}

// read returns the stream from the cache, or loads it from the store and
// caches it.
func (c *Commands) read(ctx context.Context, stream string) (loaded, error) {
	if c.cache != nil {
		if l, ok := c.cache.get(stream); ok {
			return l, nil
		}
	}
	l, err := c.load(ctx, stream)
	if err == nil && c.cache != nil {
		c.cache.put(stream, l)
	}
	return l, err
}

// refresh reads what was stored in stream after l and returns l with it,
// confirmed, caching the result. A cached l that lacked events counts as
// stale.
func (c *Commands) refresh(ctx context.Context, stream string, l loaded) (loaded, error) {
	fresh, err := c.readAfter(ctx, stream, l, nil)
	if err != nil {
		return loaded{}, err
	}
	if !l.confirmed && fresh.next() != l.next() && c.cache != nil {
		c.cache.stale.Add(1)
	}
	c.keep(stream, l, fresh)
	return fresh, nil
}

// keep caches fresh, which was read after l.
func (c *Commands) keep(stream string, l, fresh loaded) {
	switch {
	case c.cache == nil:
	case len(fresh.records) < len(l.records):
		// The stream is gone from the store (deleted): forget it.
		c.cache.drop(stream, l.next())
	default:
		c.cache.put(stream, fresh)
	}
}

// readAfter reads the events stored in stream after l and returns l
// extended by them, confirmed. l's slices are never appended to in place:
// they may be the cache's. mine is an append this command has just made
// right after l, or nil: a stored event with the same id and data as one of
// it is taken from mine instead of being decoded again.
func (c *Commands) readAfter(ctx context.Context, stream string, l loaded, mine *proposal) (loaded, error) {
	out := loaded{records: clip(l.records), history: clip(l.history), confirmed: true}
	from := l.next()
	// The read starts at l's last event, read again: a read that finds no
	// event costs a store more (the embedded one checks in a second query
	// whether the stream exists), and nothing new is the common answer.
	overlap := len(l.records) > 0
	if overlap {
		from--
	}
	var prev *cause
	for {
		page, err := c.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: readPage})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return loaded{confirmed: true}, nil
		}
		if err != nil {
			return loaded{}, fmt.Errorf("read stream %s from revision %d: %w", stream, from, err)
		}
		full := len(page) == readPage
		if overlap {
			overlap = false
			if len(page) == 0 || page[0].Revision != from || page[0].ID != l.records[len(l.records)-1].id {
				// The stream as stored does not go on from l (it was
				// deleted and written again): read it whole.
				return c.readAfter(ctx, stream, loaded{}, nil)
			}
			page = page[1:]
		}
		for _, rec := range page {
			r := record{id: rec.ID, revision: rec.Revision, position: rec.Position}
			e, ok := mine.match(rec, l.next())
			if ok {
				r.cause = mine.cause
			} else {
				if e, err = domain.UnmarshalEvent(rec.Type, rec.Data); err != nil {
					return loaded{}, fmt.Errorf("stream %s, revision %d: %w", stream, rec.Revision, err)
				}
				r.cause = causeOf(rec.Metadata, prev)
			}
			prev = r.cause
			out.records = append(out.records, r)
			out.history = append(out.history, e)
		}
		if !full {
			// Clipped, so that whoever appends to them copies: they may be
			// cached and read by other commands at the same time.
			out.records, out.history = clip(out.records), clip(out.history)
			return out, nil
		}
		from = out.records[len(out.records)-1].revision + 1
	}
}

// match returns the event of the proposal that rec stores byte for byte,
// given that the proposal was appended from revision base.
func (p *proposal) match(rec eventstore.RecordedEvent, base uint64) (domain.Event, bool) {
	if p == nil || rec.Revision < base || rec.Revision-base >= uint64(len(p.data)) {
		return nil, false
	}
	i := rec.Revision - base
	d := p.data[i]
	if rec.ID != d.ID || rec.Type != d.Type || !bytes.Equal(rec.Data, d.Data) || !bytes.Equal(rec.Metadata, d.Metadata) {
		return nil, false
	}
	return p.events[i], true
}
