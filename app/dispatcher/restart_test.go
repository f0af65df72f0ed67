package dispatcher_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
)

// A dispatcher stops with offers pending and its timers due; the one that
// replaces it (new read models, same store and checkpoint) expires every
// offer once and offers each order to exactly one next team.
func TestRestartLosesNoTimerAndMakesNoDoubleOffer(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	var ids []uuid.UUID
	for i := 0; i < 4; i++ {
		ids = append(ids, e.place(domain.CategoryErrand))
	}
	e.drain()
	for _, id := range ids {
		e.offeredTo(id, "t-station")
	}
	// One more order placed while the first dispatcher is down.
	late := e.place(domain.CategoryErrand)
	e.clock.Advance(ttl)

	e.d = e.newDispatcher(dispatcher.DefaultConfig())
	e.drain()
	e.offeredTo(late, "t-station")
	n, err := e.d.ExpireDue(e.ctx)
	if err != nil || n != len(ids) {
		t.Fatalf("after the restart: expected %d offers expired, found %d, %v", len(ids), n, err)
	}
	e.drain()
	// And the restarted one is replaced too, before its checkpoint covers
	// everything it did: nothing is done twice.
	e.d = e.newDispatcher(dispatcher.DefaultConfig())
	e.drain()
	if n, err := e.d.ExpireDue(e.ctx); err != nil || n != 0 {
		t.Fatalf("second restart: expected nothing more to expire, found %d, %v", n, err)
	}
	for _, id := range ids {
		e.offeredTo(id, "t-institute")
		if got := len(e.offers(id)); got != 2 {
			t.Errorf("order %s: expected 2 offers (expired, then the next team), found %d", id, got)
		}
		if got := e.order(id).Expiries(); got != 1 {
			t.Errorf("order %s: expected 1 expiry, found %d", id, got)
		}
	}
}

func TestStaleDueOffersAreNoOps(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	id := e.place(domain.CategoryErrand)
	e.drain()
	off := e.offeredTo(id, "t-station")
	if _, err := e.cmds.AcceptOffer(e.ctx, acceptAs("t-station", id)); err != nil {
		t.Fatal(err)
	}
	// A read model that has not seen the acceptance still lists the offer.
	due := &dueOffers{offers: []dispatcher.PendingOffer{{OrderID: id, OfferID: off.ID, TeamID: off.TeamID, ExpiresAt: off.ExpiresAt}}}
	d, err := dispatcher.New(dispatcher.Deps{Store: e.store, Commands: e.cmds, Due: due, Clock: e.clock}, dispatcher.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(ttl)
	if n, err := d.ExpireDue(e.ctx); err != nil || n != 0 {
		t.Fatalf("expiring an accepted offer: expected a no-op, found %d expired, %v", n, err)
	}
	if s := e.order(id).Status(); s != domain.StatusAccepted {
		t.Errorf("expected the order still accepted, found %s", s)
	}
	due.err = errReadModel
	if _, err := d.ExpireDue(e.ctx); err == nil {
		t.Error("ExpireDue with a failing read model: expected an error, found none")
	}
}
