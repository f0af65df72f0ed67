package memstore

import (
	"context"
	"fmt"

	"github.com/paidan/paidan/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, name string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.ValidateLimit(opts.Limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	st := s.streams[name]
	if st == nil {
		return nil, fmt.Errorf("%w: %q", eventstore.ErrStreamNotFound, name)
	}
	n := uint64(len(st.positions))
	var out []eventstore.RecordedEvent
	if opts.Direction == eventstore.Backwards {
		from := min(opts.From, n-1) // StreamEnd and anything past the end start at the last event
		for rev := int64(from); rev >= 0 && len(out) < opts.Limit; rev-- {
			out = append(out, s.event(st.positions[rev]))
		}
		return out, nil
	}
	for rev := opts.From; rev < n && len(out) < opts.Limit; rev++ {
		out = append(out, s.event(st.positions[rev]))
	}
	return out, nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.ValidateLimit(opts.Limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	head := eventstore.Position(len(s.log))
	var out []eventstore.RecordedEvent
	if opts.Direction == eventstore.Backwards {
		// Strictly before From; End (or anything past the head) is the head.
		if opts.From == eventstore.Start {
			return nil, nil
		}
		p := head
		if opts.From <= head {
			p = opts.From - 1
		}
		for ; p >= 1 && len(out) < opts.Limit; p-- {
			out = append(out, s.event(p))
		}
		return out, nil
	}
	for p := max(opts.From, 1); p <= head && len(out) < opts.Limit; p++ {
		out = append(out, s.event(p))
	}
	return out, nil
}

// event returns a copy of the event at position p; the caller holds s.mu.
func (s *Store) event(p eventstore.Position) eventstore.RecordedEvent {
	ev := s.log[p-1]
	ev.Data = clone(ev.Data)
	ev.Metadata = clone(ev.Metadata)
	return ev
}
