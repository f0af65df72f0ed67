package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// TestAutomaticDispatch: without a team the policy ranks the teams the
// TeamSource reports: the station's team first, then by load; teams that
// refused the order, are suspended, lack the skill or are full are left
// out; with none left the command fails with ErrNoCandidate.
func TestAutomaticDispatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	near := f.team("near", 0, 1, domain.CategoryErrand)
	far := f.team("far", 60, 3, domain.CategoryErrand)
	f.team("legal", 0, 3, domain.CategoryLegal)
	f.team("off", 0, 3, domain.CategoryErrand)
	if _, err := f.other.SuspendTeam(ctx, app.SuspendTeam{Envelope: as(coordinator), TeamID: "off"}); err != nil {
		t.Fatal(err)
	}

	first := f.order(domain.CategoryErrand, 0)
	res, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(dispatcher), OrderID: first})
	if err != nil {
		t.Fatal(err)
	}
	if res.TeamID != near || res.Decision == nil || res.Decision.Chosen != near || res.Status != domain.StatusOffered {
		t.Fatalf("first order went to %s (%+v); want %s", res.TeamID, res.Decision, near)
	}
	if !res.ExpiresAt.Equal(f.clock.Now().Add(ttl)) {
		t.Fatalf("expires at %s, want now + TTL", res.ExpiresAt)
	}
	if off, ok := res.Events[0].(domain.OrderOffered); !ok || !off.Automatic {
		t.Fatalf("the dispatcher's offer %+v should be automatic", res.Events[0])
	}

	// near is now full (capacity 1): the next order goes to the far team.
	second := f.order(domain.CategoryErrand, 0)
	res, err = f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(dispatcher), OrderID: second})
	if err != nil || res.TeamID != far {
		t.Fatalf("second order: %s %v; want %s while %s is at capacity", res.TeamID, err, far, near)
	}
	if n := res.Decision.ExcludedByReason[domain.ExcludedAtCapacity]; n != 1 {
		t.Errorf("decision %+v; want near excluded at capacity", res.Decision)
	}

	// far declines; near is still full: nobody is left.
	if _, err := f.other.DeclineOffer(ctx, app.DeclineOffer{Envelope: as(teamMember(far)), OrderID: second}); err != nil {
		t.Fatal(err)
	}
	before := f.head()
	_, err = f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(dispatcher), OrderID: second})
	if !errors.Is(err, app.ErrNoCandidate) || !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("no candidate left: %v; want ErrNoCandidate (a conflict)", err)
	}
	if f.head() != before {
		t.Fatal("a dispatch without a candidate appended")
	}

	// Completing near's order frees it again.
	if _, err := f.other.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(teamMember(near)), OrderID: first}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.other.CompleteOrder(ctx, app.CompleteOrder{Envelope: as(teamMember(near)), OrderID: first, VolunteerHours: 1}); err != nil {
		t.Fatal(err)
	}
	res, err = f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(dispatcher), OrderID: second})
	if err != nil || res.TeamID != near {
		t.Fatalf("after near finished: %s %v; want %s", res.TeamID, err, near)
	}
}

// TestManualDispatch: a coordinator's choice must be a registered, active
// team with the skill; it overrides capacity and records the ranking.
func TestManualDispatch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	f.team("busy", 0, 1, domain.CategoryErrand)
	f.team("legal", 0, 1, domain.CategoryLegal)
	f.offer(f.order(domain.CategoryErrand, 0), "busy")
	id := f.order(domain.CategoryErrand, 0)

	cases := []struct {
		team string
		want error
	}{
		{"nobody", app.ErrUnknownTeam},
		{"legal", domain.ErrTeamLacksSkill},
		{"bad id!", domain.ErrInvalid},
	}
	for _, c := range cases {
		if _, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: c.team}); !errors.Is(err, c.want) {
			t.Errorf("dispatch to %q: %v; want %v", c.team, err, c.want)
		}
	}
	res, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: "busy"})
	if err != nil {
		t.Fatalf("a coordinator may dispatch to a full team: %v", err)
	}
	off := res.Events[0].(domain.OrderOffered)
	if off.Automatic || off.By != coordinator.Subject || res.Decision.Chosen != "busy" || res.Decision.PolicyVersion != domain.PolicyVersion {
		t.Fatalf("manual offer %+v decision %+v; want by the coordinator, chosen busy", off, res.Decision)
	}
	if _, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(resident), OrderID: id}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a resident dispatching: %v; want forbidden", err)
	}
}

// TestLogTeams: the fold of the log reports profiles, activity, load and
// ratings as the events left them.
func TestLogTeams(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	src, err := app.NewLogTeams(f.mem)
	if err != nil {
		t.Fatal(err)
	}
	f.team("a", 0, 3, domain.CategoryErrand)
	f.team("b", 1, 2, domain.CategoryErrand, domain.CategoryHealth)
	o1, o2, o3 := f.order(domain.CategoryErrand, 0), f.order(domain.CategoryErrand, 0), f.order(domain.CategoryErrand, 0)
	f.offer(o1, "a")
	f.offer(o2, "a")
	f.offer(o3, "a")
	ma := as(teamMember("a"))
	steps := []error{
		first(f.other.AcceptOffer(ctx, app.AcceptOffer{Envelope: ma, OrderID: o1})),
		first(f.other.CompleteOrder(ctx, app.CompleteOrder{Envelope: ma, OrderID: o1, VolunteerHours: 1})),
		first(f.other.RateOrder(ctx, app.RateOrder{Envelope: as(resident), OrderID: o1, Stars: 3})),
		first(f.other.DeclineOffer(ctx, app.DeclineOffer{Envelope: ma, OrderID: o2})),
		first(f.other.SuspendTeam(ctx, app.SuspendTeam{Envelope: as(coordinator), TeamID: "b"})),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	teams, err := src.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 2 || teams[0].TeamID != "a" || teams[1].TeamID != "b" {
		t.Fatalf("teams %+v; want a and b", teams)
	}
	a, b := teams[0], teams[1]
	if a.Load != 1 || a.Ratings != 1 || a.GoodRatings != 0 || !a.Active || a.Capacity != 3 {
		t.Errorf("a: %+v; want load 1 (o3), one rating that is not good, active, capacity 3", a)
	}
	if b.Active || len(b.Skills) != 2 || b.StationID != f.station(1).ID {
		t.Errorf("b: %+v; want suspended, two skills, at station 1", b)
	}
	// A later call sees later events.
	if _, err := f.other.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: o3}); err != nil {
		t.Fatal(err)
	}
	teams, _ = src.Teams(ctx)
	if teams[0].Load != 0 {
		t.Errorf("after cancelling o3, a's load is %d; want 0", teams[0].Load)
	}
}

func first[T any](_ T, err error) error { return err }
