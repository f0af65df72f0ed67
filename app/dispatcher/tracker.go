package dispatcher

import (
	"sync"

	"github.com/paidan/paidan/eventstore"
)

// tracker turns out-of-order completions into a safe checkpoint: the
// position up to which every delivered event has been handled, so resuming
// from it skips nothing still in flight. Slots, not positions, are marked:
// a checkpoint message may carry the position of an event in flight.
type tracker struct {
	mu      sync.Mutex
	pending []*slot // delivered and not yet popped, in log order
	safe    eventstore.Position
}

type slot struct {
	pos  eventstore.Position
	done bool
}

func newTracker(from eventstore.Position) *tracker { return &tracker{safe: from} }

// add records a delivered position, in log order.
func (t *tracker) add(pos eventstore.Position) *slot {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &slot{pos: pos}
	t.pending = append(t.pending, s)
	return s
}

// finish marks s handled and advances the safe position past every handled
// prefix.
func (t *tracker) finish(s *slot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.done = true
	for len(t.pending) > 0 && t.pending[0].done {
		t.safe = max(t.safe, t.pending[0].pos)
		t.pending[0] = nil
		t.pending = t.pending[1:]
	}
}

func (t *tracker) position() eventstore.Position {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.safe
}
