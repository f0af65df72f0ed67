package dispatcher_test

import (
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
)

// otherProcess is a second write side and dispatcher on e's store, each
// with caches of their own: another server of a cluster.
func (e *env) otherProcess() (*app.Commands, *dispatcher.Dispatcher) {
	e.t.Helper()
	cmds, err := app.New(app.Deps{Store: e.store, Directory: domain.DemoDirectory(), Clock: e.clock}, app.Config{OfferTTL: ttl})
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := dispatcher.New(dispatcher.Deps{Store: e.store, Commands: cmds, Checkpoint: &dispatcher.MemCheckpoint{}, Clock: e.clock},
		dispatcher.DefaultConfig())
	if err != nil {
		e.t.Fatal(err)
	}
	return cmds, d
}

// TestStaleCacheTriggerHandledElsewhere: another process handled the
// trigger after this one cached the order. Redelivered here, the trigger
// makes no second offer, whether the other process offered the order or
// escalated it and it was placed again since.
func TestStaleCacheTriggerHandledElsewhere(t *testing.T) {
	t.Run("offered elsewhere", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		e.threeTeams()
		_, other := e.otherProcess()
		id := e.place(domain.CategoryErrand) // cached here, placed
		placed := e.record(id, domain.EventTypeOrderPlaced)
		if err := other.Handle(e.ctx, placed); err != nil {
			t.Fatal(err)
		}
		if err := e.d.Handle(e.ctx, placed); err != nil {
			t.Fatal(err)
		}
		if n := len(e.offers(id)); n != 1 {
			t.Fatalf("one trigger handled by two processes: %d offers, want 1", n)
		}
		if s := e.d.Stats(); s.Redelivered != 1 || s.Offered != 0 {
			t.Errorf("stats %+v; want the trigger found handled", s)
		}
	})

	t.Run("escalated elsewhere, placed again since", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		otherCmds, other := e.otherProcess()
		id := e.place(domain.CategoryErrand) // cached here, placed; no team yet
		placed := e.record(id, domain.EventTypeOrderPlaced)
		if err := other.Handle(e.ctx, placed); err != nil {
			t.Fatal(err)
		}
		e.threeTeams()
		if _, err := otherCmds.DispatchOrder(e.ctx, dispatchTo(id, "t-district")); err != nil {
			t.Fatal(err)
		}
		if _, err := otherCmds.DeclineOffer(e.ctx, app.DeclineOffer{Envelope: app.Envelope{Actor: teamActor("t-district")}, OrderID: id}); err != nil {
			t.Fatal(err)
		}
		// Here the cache still says placed, never escalated.
		if err := e.d.Handle(e.ctx, placed); err != nil {
			t.Fatal(err)
		}
		if n := len(e.offers(id)); n != 1 {
			t.Fatalf("a trigger escalated elsewhere made %d offers here; want only the coordinator's", n)
		}
		if s := e.d.Stats(); s.Redelivered != 1 {
			t.Errorf("stats %+v; want the trigger found handled", s)
		}
	})
}

// TestStaleCacheOrderMovedElsewhere: the cached order is behind the store
// either way. Cached as offered but placed again elsewhere, the trigger is
// acted on (doing nothing would rest on the stale cache); cached as placed
// but offered elsewhere by a coordinator, the coordinator wins.
func TestStaleCacheOrderMovedElsewhere(t *testing.T) {
	t.Run("cached offered, declined elsewhere", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		e.threeTeams()
		otherCmds, _ := e.otherProcess()
		id := e.place(domain.CategoryErrand)
		placed := e.record(id, domain.EventTypeOrderPlaced)
		if _, err := e.cmds.DispatchOrder(e.ctx, dispatchTo(id, "t-district")); err != nil {
			t.Fatal(err)
		}
		if _, err := otherCmds.DeclineOffer(e.ctx, app.DeclineOffer{Envelope: app.Envelope{Actor: teamActor("t-district")}, OrderID: id}); err != nil {
			t.Fatal(err)
		}
		// The order placed trigger arrives late; the order is placed again.
		if err := e.d.Handle(e.ctx, placed); err != nil {
			t.Fatal(err)
		}
		e.offeredTo(id, "t-station")
		if s := e.d.Stats(); s.Offered != 1 || s.Superseded != 0 {
			t.Errorf("stats %+v; want one offer", s)
		}
	})

	t.Run("cached placed, dispatched elsewhere", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		e.threeTeams()
		otherCmds, _ := e.otherProcess()
		id := e.place(domain.CategoryErrand)
		placed := e.record(id, domain.EventTypeOrderPlaced)
		if _, err := otherCmds.DispatchOrder(e.ctx, dispatchTo(id, "t-district")); err != nil {
			t.Fatal(err)
		}
		if err := e.d.Handle(e.ctx, placed); err != nil {
			t.Fatal(err)
		}
		e.offeredTo(id, "t-district")
		if n := len(e.offers(id)); n != 1 {
			t.Fatalf("%d offers; want only the coordinator's", n)
		}
		if s := e.d.Stats(); s.Superseded != 1 {
			t.Errorf("stats %+v; want the trigger superseded", s)
		}
	})
}
