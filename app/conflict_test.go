package app_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// TestConflictRetry: another writer changes the order between the
// command's read and its append. A command still valid after that change
// succeeds on the reload; one that no longer is gets the domain's refusal
// and appends nothing; a stream that keeps changing exhausts the attempts.
func TestConflictRetry(t *testing.T) {
	ctx := context.Background()

	t.Run("still valid: cancel after a concurrent dispatch", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		team := f.team("t1", 0, 2, domain.CategoryErrand)
		id := f.order(domain.CategoryErrand, 0)
		f.racing.race(func() { f.offer(id, team) })
		res, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id, Reason: "不用了"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered, domain.EventTypeOrderCancelled}
		if got := types(f.stream(id)); !slices.Equal(got, want) {
			t.Fatalf("stream %v, want %v", got, want)
		}
		if res.Revision != 2 || res.Status != domain.StatusCancelled || f.racing.appendCount() != 2 {
			t.Fatalf("result revision %d status %s after %d appends; want revision 2, cancelled, 2 appends",
				res.Revision, res.Status, f.racing.appendCount())
		}
		// The cancellation saw the offer: it names the team that held the order.
		if c, ok := res.Events[0].(domain.OrderCancelled); !ok || c.TeamID != team {
			t.Fatalf("cancel event %+v, want TeamID %s", res.Events[0], team)
		}
	})

	t.Run("no longer valid: accept after a concurrent cancel", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		team := f.team("t1", 0, 2, domain.CategoryErrand)
		id := f.order(domain.CategoryErrand, 0)
		f.offer(id, team)
		f.racing.race(func() {
			if _, err := f.other.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id}); err != nil {
				t.Error(err)
			}
		})
		_, err := f.cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(teamMember(team)), OrderID: id})
		if !errors.Is(err, domain.ErrAlreadyCancelled) || !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("accept after a concurrent cancel: %v; want ErrAlreadyCancelled (a conflict)", err)
		}
		if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			t.Errorf("the refusal should be the domain's, not the store's: %v", err)
		}
		want := []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered, domain.EventTypeOrderCancelled}
		if got := types(f.stream(id)); !slices.Equal(got, want) {
			t.Fatalf("stream %v, want %v", got, want)
		}
	})

	t.Run("a stream that keeps changing exhausts the attempts", func(t *testing.T) {
		f := newFixture(t, app.Config{Attempts: 3})
		a := f.team("ta", 0, 5, domain.CategoryErrand)
		b := f.team("tb", 0, 5, domain.CategoryErrand)
		id := f.order(domain.CategoryErrand, 0)
		f.offer(id, a)
		// Each attempt loses to a reassignment, which keeps the cancel valid.
		f.racing.race(func() { f.offer(id, b) }, func() { f.offer(id, a) }, func() { f.offer(id, b) })
		before := len(f.stream(id))
		_, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id})
		if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			t.Fatalf("cancel against a stream changing before every append: %v; want ErrWrongExpectedRevision", err)
		}
		if f.racing.appendCount() != 3 {
			t.Fatalf("%d appends tried, want Attempts = 3", f.racing.appendCount())
		}
		// Three reassignments of two events each, and no cancel.
		if got := len(f.stream(id)); got != before+6 {
			t.Fatalf("stream grew from %d to %d events; want only the other writer's 6", before, got)
		}
	})
}

// TestUnknownOrder: every order command on an order never placed is
// errors.Is(domain.ErrNotFound) and appends nothing.
func TestUnknownOrder(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	f.team("t1", 0, 2, domain.CategoryErrand)
	id := f.order(domain.CategoryErrand, 0)
	id[0] ^= 0xff
	before := f.head()
	m := teamMember("t1")
	cmds := map[string]func() error{
		"dispatch": func() error {
			_, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: "t1"})
			return err
		},
		"accept": func() error {
			_, err := f.cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(m), OrderID: id})
			return err
		},
		"decline": func() error {
			_, err := f.cmds.DeclineOffer(ctx, app.DeclineOffer{Envelope: as(m), OrderID: id})
			return err
		},
		"start": func() error {
			_, err := f.cmds.StartService(ctx, app.StartService{Envelope: as(m), OrderID: id})
			return err
		},
		"complete": func() error {
			_, err := f.cmds.CompleteOrder(ctx, app.CompleteOrder{Envelope: as(m), OrderID: id, VolunteerHours: 1})
			return err
		},
		"rate": func() error {
			_, err := f.cmds.RateOrder(ctx, app.RateOrder{Envelope: as(resident), OrderID: id, Stars: 5})
			return err
		},
		"cancel": func() error {
			_, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id})
			return err
		},
		"expire": func() error {
			_, err := f.cmds.ExpireOffer(ctx, app.ExpireOffer{Envelope: as(dispatcher), OrderID: id})
			return err
		},
	}
	for name, run := range cmds {
		t.Run(name, func(t *testing.T) {
			err := run()
			if !errors.Is(err, domain.ErrNotFound) || !errors.Is(err, domain.ErrOrderNotFound) {
				t.Fatalf("%s on an unknown order: %v; want ErrOrderNotFound", name, err)
			}
			if f.head() != before {
				t.Fatal("a command on an unknown order appended")
			}
		})
	}
}
