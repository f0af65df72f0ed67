package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// TestIdempotencyKey: with a key, a retry returns the first result (same
// ids, same revision) without appending, even after the order moved on; the
// key is scoped to the actor, and without a key every call is new.
func TestIdempotencyKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	team := f.team("t1", 0, 2, domain.CategoryErrand)
	keyed := app.Envelope{Actor: resident, IdempotencyKey: "k-1"}
	place := app.PlaceOrder{Envelope: keyed, Category: domain.CategoryErrand, Title: "取快递", StationID: f.station(0).ID}

	first, err := f.cmds.PlaceOrder(ctx, place)
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed {
		t.Fatal("the first request says it was replayed")
	}
	f.offer(first.OrderID, team)
	before := f.head()
	again, err := f.cmds.PlaceOrder(ctx, place)
	if err != nil {
		t.Fatal(err)
	}
	if again.OrderID != first.OrderID || again.Revision != first.Revision || again.Status != domain.StatusPlaced || !again.Replayed {
		t.Fatalf("retry: %+v; want order %s at revision %d, placed, replayed", again, first.OrderID, first.Revision)
	}
	if f.head() != before {
		t.Fatal("the retry appended")
	}
	recs := f.stream(first.OrderID)
	if meta, err := domain.ParseMetadata(recs[0].Metadata); err != nil || meta.IdempotencyKey != "k-1" {
		t.Fatalf("metadata %+v (%v); want the idempotency key recorded", meta, err)
	}

	other, err := f.cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: app.Envelope{Actor: domain.Actor{Subject: "r-2", Role: domain.RoleResident}, IdempotencyKey: "k-1"},
		Category: domain.CategoryErrand, Title: "取快递", StationID: f.station(0).ID})
	if err != nil || other.OrderID == first.OrderID || other.Replayed {
		t.Fatalf("the same key from another resident: %+v %v; want a new order", other, err)
	}

	unkeyed := place
	unkeyed.IdempotencyKey = ""
	a, errA := f.cmds.PlaceOrder(ctx, unkeyed)
	b, errB := f.cmds.PlaceOrder(ctx, unkeyed)
	if errA != nil || errB != nil || a.OrderID == b.OrderID {
		t.Fatalf("without a key: %s and %s (%v, %v); want two orders", a.OrderID, b.OrderID, errA, errB)
	}
	// Unkeyed ids are time-ordered, so the indexes keyed by them grow at
	// one end: the later order and its event sort after the earlier ones.
	ea, eb := uuid.UUID(f.stream(a.OrderID)[0].ID), uuid.UUID(f.stream(b.OrderID)[0].ID)
	for _, id := range []uuid.UUID{a.OrderID, b.OrderID, ea, eb} {
		if id.Version() != 7 {
			t.Fatalf("unkeyed id %s is version %d; want 7 (time-ordered)", id, id.Version())
		}
	}
	if a.OrderID.String() >= b.OrderID.String() || ea.String() >= eb.String() {
		t.Fatalf("unkeyed ids out of order: orders %s then %s, events %s then %s", a.OrderID, b.OrderID, ea, eb)
	}

	// The first accept with a key wins; its retry after the order moved on
	// answers the same, while a keyless repeat is refused.
	acc := app.AcceptOffer{Envelope: app.Envelope{Actor: teamMember(team), IdempotencyKey: "acc"}, OrderID: first.OrderID}
	r1, err := f.cmds.AcceptOffer(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.other.StartService(ctx, app.StartService{Envelope: as(teamMember(team)), OrderID: first.OrderID}); err != nil {
		t.Fatal(err)
	}
	r2, err := f.cmds.AcceptOffer(ctx, acc)
	if err != nil || r2.Revision != r1.Revision || r2.Status != domain.StatusAccepted || !r2.Replayed {
		t.Fatalf("accept retry: %+v %v; want revision %d, accepted, replayed", r2, err, r1.Revision)
	}
	acc.IdempotencyKey = ""
	if _, err := f.cmds.AcceptOffer(ctx, acc); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("keyless accept again: %v; want a conflict", err)
	}
}

// TestIfMatch: a stale expected revision fails with ErrPreconditionFailed and
// appends nothing; the current one proceeds.
func TestIfMatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	id := f.order(domain.CategoryErrand, 0)
	before := f.head()
	_, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: app.Envelope{Actor: resident, IfMatch: app.Revision(3)}, OrderID: id})
	if !errors.Is(err, app.ErrPreconditionFailed) {
		t.Fatalf("If-Match 3 at revision 0: %v; want ErrPreconditionFailed", err)
	}
	if f.head() != before {
		t.Fatal("a failed precondition appended")
	}
	res, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: app.Envelope{Actor: resident, IfMatch: app.Revision(0)}, OrderID: id})
	if err != nil || res.Revision != 1 {
		t.Fatalf("If-Match 0 at revision 0: %+v %v; want revision 1", res, err)
	}
}

// TestMetadata: every event carries the correlation id, the command's id as
// causation (shared by the events of one command), the actor and the schema
// version; a process manager's causation is the trigger it names.
func TestMetadata(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	f.team("ta", 0, 2, domain.CategoryErrand)
	f.team("tb", 0, 2, domain.CategoryErrand)
	id := f.order(domain.CategoryErrand, 0)
	f.offer(id, "ta")
	// A reassignment appends two events: OfferWithdrawn and OrderOffered.
	res, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: app.Envelope{Actor: coordinator, CorrelationID: "req-42"},
		OrderID: id, TeamID: "tb"})
	if err != nil {
		t.Fatal(err)
	}
	recs := f.stream(id)
	if len(res.Events) != 2 || len(recs) != 4 {
		t.Fatalf("reassignment: %d events, stream %v", len(res.Events), types(recs))
	}
	m1, _ := domain.ParseMetadata(recs[2].Metadata)
	m2, _ := domain.ParseMetadata(recs[3].Metadata)
	if m1.CorrelationID != "req-42" || m2.CorrelationID != "req-42" || m1.CausationID == "" || m1.CausationID != m2.CausationID ||
		m1.ActorSubject != coordinator.Subject || m1.ActorRole != domain.RoleCoordinator ||
		m1.SchemaVersion != domain.SchemaVersion(recs[2].Type) || m2.SchemaVersion != 1 {
		t.Fatalf("metadata %+v and %+v", m1, m2)
	}
	placed, _ := domain.ParseMetadata(recs[0].Metadata)
	if placed.CorrelationID == "" || placed.CorrelationID == "req-42" || placed.CausationID == m1.CausationID {
		t.Fatalf("another command shares ids: %+v vs %+v", placed, m1)
	}

	f.clock.Advance(ttl)
	off, _ := res.Order.CurrentOffer()
	trigger := "0f0e0d0c-0000-4000-8000-000000000001"
	if _, err := f.cmds.ExpireOffer(ctx, app.ExpireOffer{Envelope: app.Envelope{Actor: dispatcher, CausationID: trigger},
		OrderID: id, OfferID: off.ID}); err != nil {
		t.Fatal(err)
	}
	recs = f.stream(id)
	m, _ := domain.ParseMetadata(recs[len(recs)-1].Metadata)
	if m.CausationID != trigger || m.ActorRole != domain.RoleSystem || m.ActorSubject != "dispatcher" {
		t.Fatalf("expiry metadata %+v; want causation %s by the system dispatcher", m, trigger)
	}
}

// TestExpireOffer: an offer cannot expire early; when due it expires once,
// and a repeated or late timer appends nothing and fails nothing.
func TestExpireOffer(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	f.team("t1", 0, 2, domain.CategoryErrand)
	id := f.order(domain.CategoryErrand, 0)
	off := f.offer(id, "t1")
	exp := app.ExpireOffer{Envelope: as(dispatcher), OrderID: id, OfferID: off.OfferID}

	if _, err := f.cmds.ExpireOffer(ctx, exp); !errors.Is(err, domain.ErrOfferNotDue) {
		t.Fatalf("expire before due: %v; want ErrOfferNotDue", err)
	}
	f.clock.Advance(ttl)
	res, err := f.cmds.ExpireOffer(ctx, exp)
	if err != nil || res.Status != domain.StatusPlaced || len(res.Events) != 1 {
		t.Fatalf("expire when due: %+v %v; want one OfferExpired and the order placed", res, err)
	}
	before := f.head()
	for range 2 {
		again, err := f.cmds.ExpireOffer(ctx, exp)
		if err != nil || again.Revision != res.Revision {
			t.Fatalf("repeated expiry: %+v %v; want no error and revision %d", again, err, res.Revision)
		}
	}
	if f.head() != before {
		t.Fatal("a repeated expiry appended")
	}
}
