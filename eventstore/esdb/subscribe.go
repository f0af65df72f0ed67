package esdb

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore"
)

// SubscribeAll implements eventstore.Store.
func (s *Store) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if opts.CheckpointInterval < 0 {
		return nil, fmt.Errorf("%w: checkpoint interval must not be negative, got %d", eventstore.ErrInvalidRequest, opts.CheckpointInterval)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("esdb: subscribe to $all: %w", err)
	}
	interval := opts.CheckpointInterval
	if interval == 0 {
		interval = eventstore.DefaultCheckpointInterval
	}
	so := esdb.SubscribeToAllOptions{
		From:   toAllPosition(opts.From),
		Filter: serverFilter(opts.Filter),
		// The search window is how many events the server considers between
		// two checkpoints (times the multiplier, kept at 1).
		MaxSearchWindow:    interval,
		CheckpointInterval: 1,
	}
	// The subscription keeps its client open until it ends. If this caller
	// leaves before the client answers (see Store.run), whatever arrives
	// later is closed instead of leaking.
	var (
		mu        sync.Mutex
		inner     *esdb.Subscription
		held      *conn
		abandoned bool
	)
	err := s.run(ctx, func(cn *conn) error {
		sub, err := cn.client.SubscribeToAll(ctx, so)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			return err
		}
		if abandoned {
			return sub.Close()
		}
		cn.calls.Add(1)
		inner, held = sub, cn
		return nil
	})
	if err != nil {
		mu.Lock()
		abandoned = true
		if inner != nil {
			_ = inner.Close()
			held.calls.Done()
		}
		mu.Unlock()
		return nil, translate(ctx, "subscribe to $all", err)
	}
	sub := &subscription{
		store:       s,
		inner:       inner,
		release:     sync.OnceFunc(held.calls.Done),
		ctx:         ctx,
		filter:      opts.Filter,
		checkpoints: !opts.Filter.IsZero(),
	}
	if err := s.track(sub); err != nil {
		_ = inner.Close()
		sub.release()
		return nil, err
	}
	return sub, nil
}

// serverFilter picks the one filter the server can apply: stream prefixes
// when set, else type prefixes, else "exclude system events". The port's
// whole filter is applied again locally, which covers the other list when
// both are set.
func serverFilter(f eventstore.Filter) *esdb.SubscriptionFilter {
	switch {
	case len(f.StreamPrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: f.StreamPrefixes}
	case len(f.TypePrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: f.TypePrefixes}
	}
	return esdb.ExcludeSystemEventsFilter()
}

// subscription adapts a client subscription to eventstore.Subscription.
type subscription struct {
	store *Store
	inner *esdb.Subscription
	// release lets the client close once the subscription is over.
	release     func()
	ctx         context.Context
	filter      eventstore.Filter
	checkpoints bool

	closed      atomic.Bool
	storeClosed atomic.Bool
	// err is the end of the subscription, returned by every Recv after it.
	err error
}

var _ eventstore.Subscription = (*subscription)(nil)

// Recv implements eventstore.Subscription.
func (s *subscription) Recv() (eventstore.Message, error) {
	if s.err != nil {
		return eventstore.Message{}, s.err
	}
	for {
		ev := s.inner.Recv()
		switch {
		case ev.EventAppeared != nil:
			re := ev.EventAppeared.OriginalEvent()
			if re == nil || isSystem(re.StreamID, re.EventType) || !s.filter.Match(re.StreamID, re.EventType) {
				continue
			}
			rec := toRecorded(re)
			return eventstore.Message{Kind: eventstore.EventAppeared, Event: rec, Position: rec.Position}, nil
		case ev.CheckPointReached != nil:
			// A server with nothing to report at the end of catch-up sends
			// MaxUint64 (ESDB-PROTOCOL.md §3.5); resuming from it would skip
			// everything, so it is no checkpoint for the port.
			if !s.checkpoints || ev.CheckPointReached.Commit == math.MaxUint64 {
				continue
			}
			return eventstore.Message{Kind: eventstore.CheckpointReached, Position: eventstore.Position(ev.CheckPointReached.Commit)}, nil
		case ev.CaughtUp != nil:
			return eventstore.Message{Kind: eventstore.CaughtUp}, nil
		case ev.SubscriptionDropped != nil:
			s.err = s.endError(ev.SubscriptionDropped.Error)
			s.store.forget(s)
			s.release()
			return eventstore.Message{}, s.err
		}
	}
}

// endError says why the subscription ended, most specific first: our Close,
// the store's Close, the caller's context, then the server's reason.
func (s *subscription) endError(cause error) error {
	switch {
	case s.closed.Load():
		return eventstore.ErrSubscriptionClosed
	case s.storeClosed.Load():
		return fmt.Errorf("esdb: subscription ended by Store.Close: %w", eventstore.ErrClosed)
	case s.ctx.Err() != nil:
		return fmt.Errorf("esdb: subscription to $all: %w", s.ctx.Err())
	}
	sentinel := sentinelOf(cause)
	if sentinel == context.Canceled {
		// Neither our Close nor the caller's context: the client's
		// connection was closed under the subscription.
		sentinel = eventstore.ErrUnavailable
	}
	if sentinel != nil {
		return fmt.Errorf("esdb: subscription to $all: %w: %w: %w", eventstore.ErrSubscriptionDropped, sentinel, cause)
	}
	return fmt.Errorf("esdb: subscription to $all: %w: %w", eventstore.ErrSubscriptionDropped, cause)
}

// Close implements eventstore.Subscription.
func (s *subscription) Close() error {
	s.closed.Store(true)
	s.store.forget(s)
	err := s.inner.Close()
	s.release()
	return err
}
