package esdb

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore"
)

// SubscribeAll implements eventstore.Store.
func (s *Store) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	if _, err := s.current(); err != nil {
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
	var inner *esdb.Subscription
	err := s.do(func(c *esdb.Client) (err error) {
		inner, err = c.SubscribeToAll(ctx, so)
		return err
	})
	if err != nil {
		return nil, translate(ctx, "subscribe to $all", err)
	}
	sub := &subscription{
		store:       s,
		inner:       inner,
		ctx:         ctx,
		filter:      opts.Filter,
		checkpoints: !opts.Filter.IsZero(),
	}
	if err := s.track(sub); err != nil {
		_ = inner.Close()
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
	store       *Store
	inner       *esdb.Subscription
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
	if sentinel := sentinelOf(cause); sentinel != nil {
		return fmt.Errorf("esdb: subscription to $all: %w: %w: %w", eventstore.ErrSubscriptionDropped, sentinel, cause)
	}
	return fmt.Errorf("esdb: subscription to $all: %w: %w", eventstore.ErrSubscriptionDropped, cause)
}

// Close implements eventstore.Subscription.
func (s *subscription) Close() error {
	s.closed.Store(true)
	s.store.forget(s)
	return s.inner.Close()
}
