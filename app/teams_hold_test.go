package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// Concurrent automatic dispatches never offer a team more orders than its
// capacity: a team chosen by one dispatch counts as fuller for the others
// before that offer is in the log (TeamHolder).
func TestConcurrentDispatchKeepsCapacity(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	const teams, capacity, orders = 6, 2, 40
	for i := range teams {
		f.team(fmt.Sprintf("t%d", i), i%3, capacity, domain.CategoryErrand)
	}
	ids := make([]uuid.UUID, orders)
	for i := range ids {
		ids[i] = f.order(domain.CategoryErrand, i%3)
	}
	lt, err := app.NewLogTeams(f.mem)
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := app.New(app.Deps{Store: f.mem, Directory: f.dir, Clock: f.clock, Teams: lt}, app.Config{OfferTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, orders)
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(dispatcher), OrderID: id})
		}()
	}
	close(start)
	wg.Wait()
	offered := 0
	for i, err := range errs {
		switch {
		case err == nil:
			offered++
		case !errors.Is(err, app.ErrNoCandidate):
			t.Errorf("dispatch %d: %v", i, err)
		}
	}
	perTeam := map[string]int{}
	all, err := f.mem.ReadAll(ctx, eventstore.ReadAllOptions{From: 1, Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range all {
		if rec.Type != domain.EventTypeOrderOffered {
			continue
		}
		e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		perTeam[e.(domain.OrderOffered).TeamID]++
	}
	for team, n := range perTeam {
		if n > capacity {
			t.Errorf("team %s was offered %d orders; its capacity is %d", team, n, capacity)
		}
	}
	snaps, err := lt.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range snaps {
		if ts.Load != perTeam[ts.TeamID] {
			t.Errorf("team %s: the view's load is %d, the log holds %d offers", ts.TeamID, ts.Load, perTeam[ts.TeamID])
		}
	}
	if offered != teams*capacity {
		t.Errorf("%d dispatches succeeded; expected every place taken: %d", offered, teams*capacity)
	}
}

// A hold released without an append (the dispatch failed) frees the place
// at once.
func TestReleasedHoldFreesThePlace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	team := f.team("solo", 0, 1, domain.CategoryErrand)
	lt, err := app.NewLogTeams(f.mem)
	if err != nil {
		t.Fatal(err)
	}
	load := func() int {
		ts, err := lt.Teams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ts[0].Load
	}
	h, err := lt.HoldTeamFor(ctx, domain.CategoryErrand, uuid.New(), func([]domain.TeamSnapshot, []int32, int) string { return team })
	if err != nil {
		t.Fatal(err)
	}
	if n := load(); n != 1 {
		t.Fatalf("held: load %d, expected 1", n)
	}
	h.Release(0)
	h.Release(0)
	if n := load(); n != 0 {
		t.Fatalf("released: load %d, expected 0", n)
	}
	// A hold that began after the view folded its offer (an append absorbed
	// as the retry of an earlier one): the release, at a position the view
	// has passed, ends it, so the offer counts once.
	order := f.order(domain.CategoryErrand, 0)
	res := f.offer(order, team)
	h, err = lt.HoldTeamFor(ctx, domain.CategoryErrand, res.OfferID, func([]domain.TeamSnapshot, []int32, int) string { return team })
	if err != nil {
		t.Fatal(err)
	}
	h.Release(res.Position)
	if n := load(); n != 1 {
		t.Fatalf("offer folded, hold released: load %d, expected 1", n)
	}
}
