package embedded

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// SubscribeAll implements eventstore.Store. The subscription runs no goroutine
// of its own: Recv reads the next page (from the ring or the file) when its
// buffer is empty and waits for the writer's wake-up when the log has nothing
// new, so an abandoned subscription leaks nothing but its memory.
func (s *Store) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if s.isClosed.Load() {
		return nil, fmt.Errorf("subscribe to $all: %w", eventstore.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("subscribe to $all: %w", err)
	}
	if opts.CheckpointInterval < 0 {
		return nil, fmt.Errorf("%w: checkpoint interval must not be negative, got %d", eventstore.ErrInvalidRequest, opts.CheckpointInterval)
	}
	interval := opts.CheckpointInterval
	if interval == 0 {
		interval = eventstore.DefaultCheckpointInterval
	}
	head, _ := s.pub.state()
	sub := &subscription{
		s:        s,
		parent:   ctx,
		filter:   opts.Filter,
		filtered: !opts.Filter.IsZero(),
		interval: interval,
		pos:      opts.From,
		start:    head,
		closed:   make(chan struct{}),
		timer:    time.NewTimer(s.cfg.WakeInterval),
	}
	if opts.From == eventstore.End {
		sub.pos = head
	}
	sub.timer.Stop()
	sub.ctx, sub.cancel = context.WithCancel(ctx)
	return sub, nil
}

type subscription struct {
	s        *Store
	parent   context.Context
	ctx      context.Context // parent, also cancelled by Close
	cancel   context.CancelFunc
	filter   eventstore.Filter
	filtered bool
	interval int

	pos        eventstore.Position // last position considered
	start      eventstore.Position // head when the subscription began
	caughtUp   bool
	considered int

	buf     []eventstore.RecordedEvent
	next    int // index of the next event in buf
	pending []eventstore.Message
	err     error
	timer   *time.Timer

	closeOnce sync.Once
	closed    chan struct{}
}

// Recv implements eventstore.Subscription.
func (sub *subscription) Recv() (eventstore.Message, error) {
	for {
		if sub.err != nil {
			return eventstore.Message{}, sub.err
		}
		if err := sub.stopped(); err != nil {
			sub.fail(err)
			continue
		}
		if len(sub.pending) > 0 {
			m := sub.pending[0]
			sub.pending = sub.pending[1:]
			return m, nil
		}
		if !sub.caughtUp && sub.pos >= sub.start {
			sub.caughtUp = true
			if sub.filtered {
				sub.pending = append(sub.pending, eventstore.Message{Kind: eventstore.CheckpointReached, Position: sub.pos})
			}
			sub.pending = append(sub.pending, eventstore.Message{Kind: eventstore.CaughtUp})
			continue
		}
		if sub.next < len(sub.buf) {
			ev := sub.buf[sub.next]
			sub.buf[sub.next] = eventstore.RecordedEvent{}
			sub.next++
			sub.pos = ev.Position
			if !sub.filtered {
				return eventstore.Message{Kind: eventstore.EventAppeared, Event: ev, Position: ev.Position}, nil
			}
			sub.considered++
			if sub.considered%sub.interval == 0 {
				sub.pending = append(sub.pending, eventstore.Message{Kind: eventstore.CheckpointReached, Position: ev.Position})
			}
			if sub.filter.Match(ev.StreamID, ev.Type) {
				return eventstore.Message{Kind: eventstore.EventAppeared, Event: ev, Position: ev.Position}, nil
			}
			continue
		}
		if err := sub.fill(); err != nil {
			sub.fail(err)
		}
	}
}

// fill loads the next events after pos into the buffer, waiting for a commit
// when there are none.
func (sub *subscription) fill() error {
	sub.buf, sub.next = sub.buf[:0], 0
	s := sub.s
	page := s.cfg.SubscriptionPage
	for {
		head, wake := s.pub.state()
		if sub.pos < head {
			from := sub.pos + 1
			if evs, ok := s.pub.recent(from, page, sub.buf); ok && len(evs) > 0 {
				sub.buf = evs
				return nil
			}
			evs, err := s.readAll(sub.ctx, s.reads.allForwards, from, page)
			if err != nil {
				if stop := sub.stopped(); stop != nil {
					return stop
				}
				return fmt.Errorf("%w: read $all from %d: %w", eventstore.ErrSubscriptionDropped, from, err)
			}
			if len(evs) == 0 || evs[0].Position != from {
				return fmt.Errorf("%w: the log has no event at position %d below its head %d", eventstore.ErrSubscriptionDropped, from, head)
			}
			sub.buf = evs
			return nil
		}
		sub.timer.Reset(s.cfg.WakeInterval)
		select {
		case <-wake:
		case <-sub.timer.C:
		case <-sub.closed:
		case <-sub.ctx.Done():
		case <-s.done:
		}
		sub.timer.Stop()
		if err := sub.stopped(); err != nil {
			return err
		}
	}
}

// stopped returns why the subscription has ended, or nil.
func (sub *subscription) stopped() error {
	select {
	case <-sub.closed:
		return eventstore.ErrSubscriptionClosed
	default:
	}
	if err := sub.parent.Err(); err != nil {
		return err
	}
	select {
	case <-sub.s.done:
		return fmt.Errorf("%w: %w", eventstore.ErrSubscriptionDropped, eventstore.ErrClosed)
	default:
	}
	return nil
}

func (sub *subscription) fail(err error) {
	sub.err = err
	sub.buf, sub.pending = nil, nil
	sub.cancel()
}

// Close implements eventstore.Subscription; a Recv blocked in another
// goroutine returns ErrSubscriptionClosed.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() {
		close(sub.closed)
		sub.cancel()
	})
	return nil
}

var _ eventstore.Subscription = (*subscription)(nil)
