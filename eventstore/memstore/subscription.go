package memstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/paidan/paidan/eventstore"
)

// batchSize bounds how many events one Recv copies from the log under the
// read lock, so a subscriber catching up never holds writers for long.
const batchSize = 256

// SubscribeAll implements eventstore.Store. The subscription has no
// goroutine and no buffer of its own: Recv reads the log from the last
// position it considered, so the catch-up and live phases are one loop and
// can neither skip nor repeat an event, and a slow subscriber never holds up
// an append.
func (s *Store) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if opts.CheckpointInterval < 0 {
		return nil, fmt.Errorf("%w: checkpoint interval must not be negative, got %d", eventstore.ErrInvalidRequest, opts.CheckpointInterval)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	interval := opts.CheckpointInterval
	if interval == 0 {
		interval = eventstore.DefaultCheckpointInterval
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	head := eventstore.Position(len(s.log))
	cursor := opts.From
	if cursor == eventstore.End {
		cursor = head
	}
	return &subscription{
		store:    s,
		ctx:      ctx,
		filter:   opts.Filter,
		interval: interval,
		cursor:   cursor,
		target:   head,
		closed:   make(chan struct{}),
	}, nil
}

type subscription struct {
	store    *Store
	ctx      context.Context
	filter   eventstore.Filter
	interval int

	// Used by Recv only.
	cursor     eventstore.Position // last position considered
	target     eventstore.Position // head when subscribing: CaughtUp once cursor reaches it
	caughtUp   bool
	considered int // events considered since the last checkpoint
	lastCheck  eventstore.Position
	pending    []eventstore.Message

	closeOnce sync.Once
	closed    chan struct{}
}

// Recv implements eventstore.Subscription.
func (sub *subscription) Recv() (eventstore.Message, error) {
	for {
		if err := sub.ended(); err != nil {
			return eventstore.Message{}, err
		}
		if len(sub.pending) > 0 {
			m := sub.pending[0]
			sub.pending = sub.pending[1:]
			return m, nil
		}
		evs, changed, err := sub.store.after(sub.cursor)
		if err != nil {
			return eventstore.Message{}, err
		}
		for _, ev := range evs {
			sub.consider(ev)
		}
		if !sub.caughtUp && sub.cursor >= sub.target {
			if !sub.filter.IsZero() && sub.lastCheck != sub.cursor {
				sub.checkpoint()
			}
			sub.pending = append(sub.pending, eventstore.Message{Kind: eventstore.CaughtUp})
			sub.caughtUp = true
		}
		if len(sub.pending) > 0 || len(evs) > 0 {
			continue
		}
		select {
		case <-changed:
		case <-sub.closed:
		case <-sub.ctx.Done():
		case <-sub.store.done:
		}
	}
}

// ended returns the error that ends the subscription, if any: Close first,
// then the context, then the store.
func (sub *subscription) ended() error {
	select {
	case <-sub.closed:
		return eventstore.ErrSubscriptionClosed
	default:
	}
	if err := sub.ctx.Err(); err != nil {
		return err
	}
	select {
	case <-sub.store.done:
		return fmt.Errorf("%w: %w", eventstore.ErrSubscriptionDropped, eventstore.ErrClosed)
	default:
	}
	return nil
}

// consider passes one event through the filter and counts it towards the
// next checkpoint.
func (sub *subscription) consider(ev eventstore.RecordedEvent) {
	sub.cursor = ev.Position
	if sub.filter.Match(ev.StreamID, ev.Type) {
		sub.pending = append(sub.pending, eventstore.Message{Kind: eventstore.EventAppeared, Event: ev, Position: ev.Position})
	}
	if sub.filter.IsZero() {
		return
	}
	sub.considered++
	if sub.considered >= sub.interval {
		sub.checkpoint()
	}
}

// checkpoint queues a checkpoint at the cursor: every event up to it has
// been considered and, if it matched, queued before the checkpoint.
func (sub *subscription) checkpoint() {
	sub.pending = append(sub.pending, eventstore.Message{Kind: eventstore.CheckpointReached, Position: sub.cursor})
	sub.considered = 0
	sub.lastCheck = sub.cursor
}

// Close implements eventstore.Subscription.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() { close(sub.closed) })
	return nil
}

// after copies up to batchSize events after position p and returns the
// broadcast channel that will be closed at the next commit.
func (s *Store) after(p eventstore.Position) ([]eventstore.RecordedEvent, <-chan struct{}, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, nil, fmt.Errorf("%w: %w", eventstore.ErrSubscriptionDropped, eventstore.ErrClosed)
	}
	head := eventstore.Position(len(s.log))
	var evs []eventstore.RecordedEvent
	for q := p + 1; q <= head && len(evs) < batchSize; q++ {
		evs = append(evs, s.event(q))
	}
	return evs, s.changed, nil
}
