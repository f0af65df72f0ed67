package dispatcher_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
)

// Stations of the demo directory: two of one institute and one of another.
const (
	stationA  = "wanshoulu-001"
	stationA2 = "wanshoulu-002"
	stationB  = "yongdinglu-001"
	ttl       = 10 * time.Minute
)

var (
	coordinator = domain.Actor{Subject: "coordinator-1", Role: domain.RoleCoordinator}
	resident    = domain.Actor{Subject: "resident-1", Role: domain.RoleResident}
)

func teamActor(team string) domain.Actor {
	return domain.Actor{Subject: "member-of-" + team, Role: domain.RoleTeam, TeamID: team}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a write side over an in-memory store with a dispatcher, all on one
// fake clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	store *memstore.Store
	clock *fakeClock
	cmds  *app.Commands
	cp    *dispatcher.MemCheckpoint
	d     *dispatcher.Dispatcher
}

func newEnv(t *testing.T, cfg dispatcher.Config) *env {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	store, err := memstore.New(memstore.Config{Clock: clock.Now})
	if err != nil {
		t.Fatalf("memstore.New: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cmds, err := app.New(app.Deps{Store: store, Directory: domain.DemoDirectory(), Clock: clock}, app.Config{OfferTTL: ttl})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	e := &env{t: t, ctx: context.Background(), store: store, clock: clock, cmds: cmds, cp: &dispatcher.MemCheckpoint{}}
	e.d = e.newDispatcher(cfg)
	return e
}

// newDispatcher is a dispatcher as a restarted process builds it: fresh
// read models over the same store, the same checkpoint.
func (e *env) newDispatcher(cfg dispatcher.Config) *dispatcher.Dispatcher {
	e.t.Helper()
	d, err := dispatcher.New(dispatcher.Deps{Store: e.store, Commands: e.cmds, Checkpoint: e.cp, Clock: e.clock}, cfg)
	if err != nil {
		e.t.Fatalf("dispatcher.New: %v", err)
	}
	return d
}

func (e *env) team(id, station string, capacity int, skills ...domain.Category) {
	e.t.Helper()
	_, err := e.cmds.RegisterTeam(e.ctx, app.RegisterTeam{Envelope: app.Envelope{Actor: coordinator}, TeamID: id,
		Spec: domain.TeamSpec{Name: "Team " + id, StationID: station, Skills: skills, Capacity: capacity}})
	if err != nil {
		e.t.Fatalf("register team %s: %v", id, err)
	}
}

// threeTeams registers errand teams at the order's station, in its institute
// and elsewhere in the district.
func (e *env) threeTeams() {
	e.team("t-station", stationA, 5, domain.CategoryErrand)
	e.team("t-institute", stationA2, 5, domain.CategoryErrand, domain.CategoryHealth)
	e.team("t-district", stationB, 5, domain.CategoryErrand)
}

func (e *env) place(c domain.Category) uuid.UUID {
	e.t.Helper()
	res, err := e.cmds.PlaceOrder(e.ctx, app.PlaceOrder{Envelope: app.Envelope{Actor: resident},
		Category: c, Title: "Fetch medicine", StationID: stationA, Contact: "138-0000-0000"})
	if err != nil {
		e.t.Fatalf("place order: %v", err)
	}
	return res.OrderID
}

func (e *env) drain() {
	e.t.Helper()
	if _, err := e.d.Drain(e.ctx); err != nil {
		e.t.Fatalf("Drain: %v", err)
	}
}

func (e *env) order(id uuid.UUID) *domain.Order {
	e.t.Helper()
	o, err := domain.RehydrateOrder(e.history(id))
	if err != nil {
		e.t.Fatalf("rehydrate order %s: %v", id, err)
	}
	return o
}

func (e *env) records(stream string) []eventstore.RecordedEvent {
	e.t.Helper()
	recs, err := e.store.ReadStream(e.ctx, stream, eventstore.ReadStreamOptions{Limit: 10_000})
	if err != nil {
		e.t.Fatalf("read %s: %v", stream, err)
	}
	return recs
}

func (e *env) history(id uuid.UUID) []domain.Event {
	e.t.Helper()
	var out []domain.Event
	for _, rec := range e.records(domain.OrderStream(id)) {
		ev, err := domain.UnmarshalEvent(rec.Type, rec.Data)
		if err != nil {
			e.t.Fatalf("decode %s: %v", rec.Type, err)
		}
		out = append(out, ev)
	}
	return out
}

// record finds the order's last event of type typ.
func (e *env) record(id uuid.UUID, typ string) eventstore.RecordedEvent {
	e.t.Helper()
	recs := e.records(domain.OrderStream(id))
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Type == typ {
			return recs[i]
		}
	}
	e.t.Fatalf("order %s has no %s event", id, typ)
	return eventstore.RecordedEvent{}
}

func (e *env) offers(id uuid.UUID) []domain.OrderOffered {
	var out []domain.OrderOffered
	for _, ev := range e.history(id) {
		if o, ok := ev.(domain.OrderOffered); ok {
			out = append(out, o)
		}
	}
	return out
}

// offeredTo checks the order is offered to team and returns the offer.
func (e *env) offeredTo(id uuid.UUID, team string) domain.Offer {
	e.t.Helper()
	o := e.order(id)
	off, ok := o.CurrentOffer()
	if o.Status() != domain.StatusOffered || !ok || off.TeamID != team {
		e.t.Fatalf("order %s: expected offered to %s, found status %s, offer %+v", id, team, o.Status(), off)
	}
	return off
}

func (e *env) decline(id uuid.UUID, team string) {
	e.t.Helper()
	if _, err := e.cmds.DeclineOffer(e.ctx, app.DeclineOffer{Envelope: app.Envelope{Actor: teamActor(team)},
		OrderID: id, Reason: "no one free today"}); err != nil {
		e.t.Fatalf("%s declines order %s: %v", team, id, err)
	}
}

// dueOffers is a fake read model of due offers that lists what it is told,
// as a lagging projection may.
type dueOffers struct {
	mu     sync.Mutex
	offers []dispatcher.PendingOffer
	err    error
}

func (f *dueOffers) DueOffers(_ context.Context, now time.Time, limit int) ([]dispatcher.PendingOffer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []dispatcher.PendingOffer
	for _, o := range f.offers {
		if !o.ExpiresAt.After(now) && len(out) < limit {
			out = append(out, o)
		}
	}
	return out, nil
}

var errReadModel = errors.New("read model unavailable")

func uuidOf(id [16]byte) string { return uuid.UUID(id).String() }

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dispatchTo(id uuid.UUID, team string) app.DispatchOrder {
	return app.DispatchOrder{Envelope: app.Envelope{Actor: coordinator}, OrderID: id, TeamID: team}
}

func acceptAs(team string, id uuid.UUID) app.AcceptOffer {
	return app.AcceptOffer{Envelope: app.Envelope{Actor: teamActor(team)}, OrderID: id}
}
