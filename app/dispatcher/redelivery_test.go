package dispatcher_test

import (
	"testing"

	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

func TestRedeliveredTriggerMakesNoSecondOffer(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	id := e.place(domain.CategoryErrand)
	placed := e.record(id, domain.EventTypeOrderPlaced)

	for i := 0; i < 3; i++ {
		if err := e.d.Handle(e.ctx, placed); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	if n := len(e.offers(id)); n != 1 {
		t.Fatalf("OrderPlaced delivered three times: expected 1 offer, found %d", n)
	}

	// Delivered again after the order moved on (declined, placed again):
	// the old trigger was answered and must not offer the order a second time.
	e.decline(id, "t-station")
	if err := e.d.Handle(e.ctx, placed); err != nil {
		t.Fatal(err)
	}
	if n := len(e.offers(id)); n != 1 {
		t.Fatalf("OrderPlaced redelivered after a decline: expected still 1 offer, found %d", n)
	}
	declined := e.record(id, domain.EventTypeOfferDeclined)
	for i := 0; i < 2; i++ {
		if err := e.d.Handle(e.ctx, declined); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.offers(id)); n != 2 {
		t.Fatalf("OfferDeclined delivered twice: expected 2 offers in all, found %d", n)
	}
	e.offeredTo(id, "t-institute")
	if s := e.d.Stats(); s.Offered != 2 || s.Redelivered != 4 {
		t.Errorf("stats: expected 2 offered and 4 redelivered (2 + 1 + 1), found %+v", s)
	}
}

func TestRedeliveredTriggerThatEscalatedDoesNotOffer(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	id := e.place(domain.CategoryErrand) // no team at all
	placed := e.record(id, domain.EventTypeOrderPlaced)
	if err := e.d.Handle(e.ctx, placed); err != nil {
		t.Fatal(err)
	}
	if s := e.order(id).Status(); s != domain.StatusEscalated {
		t.Fatalf("expected escalated, found %s", s)
	}
	// A coordinator dispatches by hand; the team declines, so the order is
	// placed again. Meanwhile a team registers. The old trigger comes back.
	e.threeTeams()
	if _, err := e.cmds.DispatchOrder(e.ctx, dispatchTo(id, "t-district")); err != nil {
		t.Fatal(err)
	}
	e.decline(id, "t-district")
	if err := e.d.Handle(e.ctx, placed); err != nil {
		t.Fatal(err)
	}
	if n := len(e.offers(id)); n != 1 {
		t.Fatalf("escalating trigger redelivered: expected only the coordinator's offer, found %d offers", n)
	}
}

func TestWholeLogRedeliveredChangesNothing(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	a := e.place(domain.CategoryErrand)
	b := e.place(domain.CategoryLegal)
	e.drain()
	e.decline(a, "t-station")
	e.drain()
	head := e.head()

	// A dispatcher whose checkpoint was lost reads everything again.
	e.cp = &dispatcher.MemCheckpoint{}
	e.d = e.newDispatcher(dispatcher.DefaultConfig())
	e.drain()
	if got := e.head(); got != head {
		t.Fatalf("replaying the whole log appended events: head %d → %d", head, got)
	}
	if len(e.offers(a)) != 2 || e.order(b).Status() != domain.StatusEscalated {
		t.Errorf("expected order a offered twice and b escalated, found %d offers and %s",
			len(e.offers(a)), e.order(b).Status())
	}
}

func (e *env) head() eventstore.Position {
	e.t.Helper()
	recs, err := e.store.ReadAll(e.ctx, eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
	if err != nil || len(recs) != 1 {
		e.t.Fatalf("head of the log: %v (%d events)", err, len(recs))
	}
	return recs[0].Position
}
