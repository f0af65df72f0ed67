package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// droppingStore ends the first subscription after a number of messages, as
// a store that loses its connection does.
type droppingStore struct {
	eventstore.Store
	after   int
	dropped atomic.Int32
}

func (s *droppingStore) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	sub, err := s.Store.SubscribeAll(ctx, opts)
	if err != nil || s.dropped.Load() > 0 {
		return sub, err
	}
	return &droppingSub{Subscription: sub, s: s, left: s.after}, nil
}

type droppingSub struct {
	eventstore.Subscription
	s    *droppingStore
	left int
}

func (d *droppingSub) Recv() (eventstore.Message, error) {
	if d.left == 0 {
		d.s.dropped.Add(1)
		return eventstore.Message{}, fmt.Errorf("connection reset: %w", eventstore.ErrSubscriptionDropped)
	}
	d.left--
	return d.Subscription.Recv()
}

func TestRunResumesAfterADroppedSubscription(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	first := e.place(domain.CategoryErrand)
	store := &droppingStore{Store: e.store, after: 1}
	cfg := dispatcher.DefaultConfig()
	cfg.RetryBackoff = time.Millisecond
	d, err := dispatcher.New(dispatcher.Deps{Store: store, Commands: e.cmds, Checkpoint: e.cp, Clock: e.clock}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	second := e.place(domain.CategoryErrand)
	e.waitEvents(domain.EventTypeOrderOffered, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if store.dropped.Load() != 1 {
		t.Fatalf("expected the subscription dropped once, found %d", store.dropped.Load())
	}
	for _, id := range []uuid.UUID{first, second} {
		if n := len(e.offers(id)); n != 1 {
			t.Errorf("order %s: expected 1 offer across the resubscription, found %d", id, n)
		}
	}
}

// failingCommands refuses to dispatch one order with an error no retry
// cures, as a corrupt stream would.
type failingCommands struct {
	*app.Commands
	poison uuid.UUID
	calls  atomic.Int32
}

var errBroken = errors.New("order stream is broken")

func (f *failingCommands) DispatchOrder(ctx context.Context, cmd app.DispatchOrder) (app.DispatchResult, error) {
	if cmd.OrderID == f.poison {
		f.calls.Add(1)
		return app.DispatchResult{}, errBroken
	}
	return f.Commands.DispatchOrder(ctx, cmd)
}

func TestRunPassesOverAnEventThatKeepsFailing(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	poison := e.place(domain.CategoryErrand)
	cmds := &failingCommands{Commands: e.cmds, poison: poison}
	cfg := dispatcher.DefaultConfig()
	cfg.MaxAttempts, cfg.RetryBackoff = 3, time.Millisecond
	d, err := dispatcher.New(dispatcher.Deps{Store: e.store, Commands: cmds, Checkpoint: e.cp, Clock: e.clock}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Handle(e.ctx, e.record(poison, domain.EventTypeOrderPlaced)); !errors.Is(err, errBroken) {
		t.Fatalf("Handle: expected the command's error wrapped, found %v", err)
	}
	cmds.calls.Store(0)
	healthy := e.place(domain.CategoryErrand)
	if _, err := d.Drain(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.offeredTo(healthy, "t-station")
	if got := cmds.calls.Load(); got != 3 {
		t.Errorf("attempts on the failing event: expected 3, found %d", got)
	}
	if s := d.Stats(); s.Failed != 1 {
		t.Errorf("Stats.Failed: expected 1, found %d", s.Failed)
	}
	if s := e.order(poison).Status(); s != domain.StatusPlaced {
		t.Errorf("failing order: expected left placed for a coordinator, found %s", s)
	}
}
