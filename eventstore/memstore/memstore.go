// Package memstore is an in-memory eventstore.Store: the conformance suite's
// reference adapter and the store of fast unit tests of the application
// layer. Nothing survives the process.
//
// It keeps the port's strongest form of every rule: positions are 1, 2, 3…
// without gaps, and idempotency is exact for every expectation because each
// stream remembers all of its event IDs.
//
// IdempotencyRules (EventStoreDB's, ESDB-PROTOCOL.md §2.4, with every ID
// remembered): let cur be the stream's last revision (-1 when it has none).
//   - Any and StreamExists (the latter refused first when cur is -1): if the
//     first proposed ID was never written to this stream, the events are
//     appended; if every proposed ID was, nothing is written and the result
//     names the event holding the last proposed ID; if the first was and a
//     later one was not, the append fails with a wrong expected revision.
//   - NoStream and Exact(e), with e taken as -1 for NoStream: e == cur
//     appends; e > cur fails; e < cur succeeds without writing only when the
//     proposed IDs are exactly those stored at revisions e+1, e+2, … (the
//     result then names the last of them), and fails otherwise, including
//     when the batch is empty or runs past the end of the stream.
package memstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// Config configures a Store.
type Config struct {
	// Clock gives the Created time of appended events; optional, default
	// time.Now. Its result is stored in UTC.
	Clock func() time.Time
}

// Validate reports a configuration the store cannot use. Every field is
// optional, so there is none today; it exists so callers treat Config like
// every other Config of the project.
func (c Config) Validate() error { return nil }

func (c *Config) setDefaults() {
	if c.Clock == nil {
		c.Clock = time.Now
	}
}

// Store is the in-memory event store. The zero value is not usable; call New.
type Store struct {
	clock func() time.Time

	mu      sync.RWMutex
	log     []eventstore.RecordedEvent // log[i] has position i+1
	streams map[string]*stream
	// changed is closed and replaced at every commit: a broadcast that wakes
	// every subscriber without the writer ever waiting for one.
	changed chan struct{}
	closed  bool
	done    chan struct{} // closed by Close
}

// stream indexes one stream's events in the log.
type stream struct {
	positions []eventstore.Position // by revision
	ids       map[[16]byte]uint64   // event ID → revision
}

// New returns an empty store.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("memstore: %w", err)
	}
	cfg.setDefaults()
	return &Store{
		clock:   cfg.Clock,
		streams: map[string]*stream{},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// Close ends every subscription and makes later calls fail with
// eventstore.ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	return nil
}

// Append implements eventstore.Store; see IdempotencyRules in the package
// documentation.
// ReportsWrote: Wrote is exact (see eventstore.WroteReporter).
func (s *Store) ReportsWrote() bool { return true }

var _ eventstore.WroteReporter = (*Store)(nil)

func (s *Store) Append(ctx context.Context, name string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(name, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	st := s.streams[name]
	next := uint64(0)
	if st != nil {
		next = uint64(len(st.positions))
	}
	wrong := func() error {
		actual := eventstore.NoStream()
		if next > 0 {
			actual = eventstore.Exact(next - 1)
		}
		return &eventstore.WrongExpectedRevisionError{Stream: name, Expected: expected, Actual: actual}
	}

	if expected.IsStreamExists() && next == 0 {
		return eventstore.AppendResult{}, wrong()
	}
	if expected.IsAny() || expected.IsStreamExists() {
		if len(events) > 0 && st != nil {
			if _, known := st.ids[events[0].ID]; known {
				last, ok := st.allKnown(events)
				if !ok {
					return eventstore.AppendResult{}, wrong()
				}
				return s.resultAt(st, last), nil
			}
		}
		return s.commit(name, st, events), nil
	}

	// NoStream or Exact: the expectation names the revision before the batch.
	if !expected.Satisfied(next) {
		after := uint64(0) // first revision the batch would occupy
		if r, ok := expected.Revision(); ok {
			after = r + 1
		}
		if after >= next || len(events) == 0 || !st.storedAt(after, events) {
			return eventstore.AppendResult{}, wrong()
		}
		return s.resultAt(st, after+uint64(len(events))-1), nil
	}
	return s.commit(name, st, events), nil
}

// allKnown reports whether every ID was written to the stream, and the
// revision of the last one.
func (st *stream) allKnown(events []eventstore.EventData) (uint64, bool) {
	var rev uint64
	for _, ev := range events {
		r, ok := st.ids[ev.ID]
		if !ok {
			return 0, false
		}
		rev = r
	}
	return rev, true
}

// storedAt reports whether the events' IDs are those stored from revision
// `from` on, none running past the end.
func (st *stream) storedAt(from uint64, events []eventstore.EventData) bool {
	for i, ev := range events {
		r, ok := st.ids[ev.ID]
		if !ok || r != from+uint64(i) {
			return false
		}
	}
	return true
}

// resultAt is the result of an append whose last event has revision rev.
func (s *Store) resultAt(st *stream, rev uint64) eventstore.AppendResult {
	return eventstore.AppendResult{NextRevision: rev + 1, Position: st.positions[rev]}
}

// commit appends events to the stream and the log and wakes subscribers.
// The caller holds s.mu.
func (s *Store) commit(name string, st *stream, events []eventstore.EventData) eventstore.AppendResult {
	if len(events) == 0 {
		if st == nil {
			return eventstore.AppendResult{}
		}
		return s.resultAt(st, uint64(len(st.positions))-1)
	}
	if st == nil {
		st = &stream{ids: map[[16]byte]uint64{}}
		s.streams[name] = st
	}
	created := s.clock().UTC()
	for _, ev := range events {
		id := ev.ID
		if id == ([16]byte{}) {
			id = uuid.New()
		}
		rev := uint64(len(st.positions))
		pos := eventstore.Position(len(s.log) + 1)
		s.log = append(s.log, eventstore.RecordedEvent{
			StreamID: name,
			Revision: rev,
			Position: pos,
			ID:       id,
			Type:     ev.Type,
			Data:     clone(ev.Data),
			Metadata: clone(ev.Metadata),
			Created:  created,
		})
		st.positions = append(st.positions, pos)
		st.ids[id] = rev
	}
	close(s.changed)
	s.changed = make(chan struct{})
	res := s.resultAt(st, uint64(len(st.positions))-1)
	res.Wrote = true
	return res
}

// clone copies b so that neither the caller nor a reader can alter what the
// store keeps; nil stays nil.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
