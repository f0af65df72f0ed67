package dispatcher_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
)

func TestPlacedOrderIsOfferedToTheSameStationTeamWithTheDecision(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	id := e.place(domain.CategoryErrand)
	e.drain()

	off := e.offeredTo(id, "t-station")
	if !off.Automatic || off.Attempt != 1 {
		t.Errorf("offer: expected automatic attempt 1, found automatic=%v attempt=%d", off.Automatic, off.Attempt)
	}
	if want := e.clock.Now().Add(ttl); !off.ExpiresAt.Equal(want) {
		t.Errorf("offer expires at %s, expected %s (the app's TTL)", off.ExpiresAt, want)
	}
	offered := e.offers(id)[0]
	d := offered.Decision
	if d == nil {
		t.Fatal("OrderOffered carries no decision record")
	}
	if d.PolicyVersion != domain.PolicyVersion || d.Chosen != "t-station" || d.CandidateCount != 3 {
		t.Errorf("decision: expected policy %s, chosen t-station, 3 candidates; found %s, %q, %d",
			domain.PolicyVersion, d.PolicyVersion, d.Chosen, d.CandidateCount)
	}
	var tiers []domain.Tier
	for _, c := range d.Candidates {
		tiers = append(tiers, c.Tier)
	}
	if want := []domain.Tier{domain.TierStation, domain.TierInstitute, domain.TierDistrict}; !equal(tiers, want) {
		t.Errorf("ranked tiers: expected %v, found %v", want, tiers)
	}
	rec := e.record(id, domain.EventTypeOrderOffered)
	placed := e.record(id, domain.EventTypeOrderPlaced)
	m, err := domain.ParseMetadata(rec.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if m.ActorSubject != dispatcher.Actor.Subject || m.ActorRole != domain.RoleSystem || m.CausationID != uuidOf(placed.ID) {
		t.Errorf("offer metadata: expected the dispatcher caused by %s, found %+v", uuidOf(placed.ID), m)
	}
	if got := e.d.Stats().Offered; got != 1 {
		t.Errorf("Stats.Offered: expected 1, found %d", got)
	}
}

func TestDeclinedOrExpiredOfferGoesToTheNextTeamNeverBack(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	id := e.place(domain.CategoryErrand)
	e.drain()
	e.offeredTo(id, "t-station")

	e.decline(id, "t-station")
	e.drain()
	e.offeredTo(id, "t-institute")

	e.clock.Advance(ttl)
	n, err := e.d.ExpireDue(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("ExpireDue: expected 1 expired, found %d, %v", n, err)
	}
	e.drain()
	off := e.offeredTo(id, "t-district")
	if off.Attempt != 3 {
		t.Errorf("third offer: expected attempt 3, found %d", off.Attempt)
	}
	if got := e.order(id).RefusedTeams(); !equal(got, []string{"t-station", "t-institute"}) {
		t.Errorf("refused teams: expected t-station, t-institute; found %v", got)
	}
}

func TestExpiryBeforeItsTimeDoesNothing(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	id := e.place(domain.CategoryErrand)
	e.drain()
	e.clock.Advance(ttl - 1)
	if n, err := e.d.ExpireDue(e.ctx); err != nil || n != 0 {
		t.Fatalf("ExpireDue one nanosecond early: expected 0, found %d, %v", n, err)
	}
	e.offeredTo(id, "t-station")
}

func TestEscalation(t *testing.T) {
	cases := []struct {
		name       string
		maxOffers  int
		category   domain.Category
		act        func(e *env, id uuid.UUID)
		wantReason string
		wantOffers int
	}{
		{
			name: "no team has the skill", maxOffers: 3, category: domain.CategoryLegal,
			act: func(*env, uuid.UUID) {}, wantReason: "no candidate", wantOffers: 0,
		},
		{
			name: "max offers declined or expired", maxOffers: 2, category: domain.CategoryErrand,
			act: func(e *env, id uuid.UUID) {
				e.decline(id, "t-station")
				e.drain()
				e.clock.Advance(ttl)
				if _, err := e.d.ExpireDue(e.ctx); err != nil {
					e.t.Fatal(err)
				}
			},
			wantReason: "2 offers were declined or left to expire (teams t-station, t-institute); the limit is 2",
			wantOffers: 2,
		},
		{
			name: "every candidate refused", maxOffers: 5, category: domain.CategoryHealth,
			act: func(e *env, id uuid.UUID) {
				e.decline(id, "t-institute")
			},
			wantReason: "no candidate", wantOffers: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dispatcher.DefaultConfig()
			cfg.MaxOffers = tc.maxOffers
			e := newEnv(t, cfg)
			e.threeTeams()
			id := e.place(tc.category)
			e.drain()
			tc.act(e, id)
			e.drain()
			o := e.order(id)
			if o.Status() != domain.StatusEscalated {
				t.Fatalf("expected escalated, found %s", o.Status())
			}
			var esc domain.OrderEscalated
			for _, ev := range e.history(id) {
				if x, ok := ev.(domain.OrderEscalated); ok {
					esc = x
				}
			}
			if !strings.Contains(esc.Reason, tc.wantReason) {
				t.Errorf("reason: expected it to contain %q, found %q", tc.wantReason, esc.Reason)
			}
			if esc.Attempts != tc.wantOffers || len(e.offers(id)) != tc.wantOffers {
				t.Errorf("offers before escalating: expected %d, found %d recorded and %d events",
					tc.wantOffers, esc.Attempts, len(e.offers(id)))
			}
			if got := e.d.Stats().Escalated; got != 1 {
				t.Errorf("Stats.Escalated: expected 1, found %d", got)
			}
		})
	}
}

func TestCoordinatorWins(t *testing.T) {
	t.Run("reassignment after the automatic offer", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		e.threeTeams()
		id := e.place(domain.CategoryErrand)
		e.drain()
		e.offeredTo(id, "t-station")
		if _, err := e.cmds.DispatchOrder(e.ctx, app.DispatchOrder{Envelope: app.Envelope{Actor: coordinator},
			OrderID: id, TeamID: "t-district"}); err != nil {
			t.Fatal(err)
		}
		e.drain() // the withdrawal of t-station's offer is a trigger
		off := e.offeredTo(id, "t-district")
		if off.Automatic {
			t.Error("the coordinator's offer was replaced by an automatic one")
		}
		if n := len(e.offers(id)); n != 2 {
			t.Errorf("offers: expected the automatic and the coordinator's, found %d", n)
		}
	})
	t.Run("dispatch before the dispatcher saw the order", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		e.threeTeams()
		id := e.place(domain.CategoryErrand)
		if _, err := e.cmds.DispatchOrder(e.ctx, app.DispatchOrder{Envelope: app.Envelope{Actor: coordinator},
			OrderID: id, TeamID: "t-institute"}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		e.offeredTo(id, "t-institute")
		if n := len(e.offers(id)); n != 1 {
			t.Errorf("offers: expected only the coordinator's, found %d", n)
		}
		if got := e.d.Stats().Superseded; got != 1 {
			t.Errorf("Stats.Superseded: expected 1, found %d", got)
		}
	})
	t.Run("cancelled before the dispatcher saw it", func(t *testing.T) {
		e := newEnv(t, dispatcher.DefaultConfig())
		e.threeTeams()
		id := e.place(domain.CategoryErrand)
		if _, err := e.cmds.CancelOrder(e.ctx, app.CancelOrder{Envelope: app.Envelope{Actor: resident},
			OrderID: id, Reason: "solved it myself"}); err != nil {
			t.Fatal(err)
		}
		e.drain()
		if s := e.order(id).Status(); s != domain.StatusCancelled || len(e.offers(id)) != 0 {
			t.Errorf("expected cancelled with no offer, found %s with %d offers", s, len(e.offers(id)))
		}
	})
}

func TestAutoDispatchOffOnlyExpires(t *testing.T) {
	cfg := dispatcher.DefaultConfig()
	cfg.AutoDispatch = false
	e := newEnv(t, cfg)
	e.threeTeams()
	id := e.place(domain.CategoryErrand)
	e.drain()
	if s := e.order(id).Status(); s != domain.StatusPlaced {
		t.Fatalf("manual only: expected the order left placed, found %s", s)
	}
	if _, err := e.cmds.DispatchOrder(e.ctx, app.DispatchOrder{Envelope: app.Envelope{Actor: coordinator}, OrderID: id}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(ttl)
	if n, err := e.d.ExpireDue(e.ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue: expected the coordinator's offer expired, found %d, %v", n, err)
	}
	e.drain()
	if s := e.order(id).Status(); s != domain.StatusPlaced {
		t.Errorf("after expiry, manual only: expected placed, found %s", s)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*dispatcher.Config)
		bad  string
	}{
		{"defaults", func(*dispatcher.Config) {}, ""},
		{"zero is default", func(c *dispatcher.Config) { *c = dispatcher.Config{} }, ""},
		{"negative max offers", func(c *dispatcher.Config) { c.MaxOffers = -1 }, "MaxOffers"},
		{"negative tick", func(c *dispatcher.Config) { c.TickInterval = -1 }, "TickInterval"},
		{"negative batch", func(c *dispatcher.Config) { c.ExpireBatch = -2 }, "ExpireBatch"},
		{"negative attempts", func(c *dispatcher.Config) { c.MaxAttempts = -2 }, "MaxAttempts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dispatcher.DefaultConfig()
			tc.mut(&c)
			err := c.Validate()
			if tc.bad == "" && err != nil {
				t.Fatalf("expected valid, found %v", err)
			}
			if tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)) {
				t.Fatalf("expected an error naming %s, found %v", tc.bad, err)
			}
		})
	}
}

func TestNewRefusesMissingDeps(t *testing.T) {
	_, err := dispatcher.New(dispatcher.Deps{}, dispatcher.Config{MaxOffers: -1})
	for _, want := range []string{"store: required", "commands: required", "MaxOffers"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with nothing: expected an error naming %q, found %v", want, err)
		}
	}
}
