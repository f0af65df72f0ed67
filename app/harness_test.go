package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
)

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

// racingStore lets a test play another writer: before each of the next
// appends it runs the next queued function, which writes to the store
// behind the command's back.
type racingStore struct {
	eventstore.Store
	inexact bool // hide the store's exact Wrote, as EventStoreDB's adapter has none
	mu      sync.Mutex
	queue   []func()
	appends int
}

func (s *racingStore) Append(ctx context.Context, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	s.mu.Lock()
	s.appends++
	var f func()
	if len(s.queue) > 0 {
		f, s.queue = s.queue[0], s.queue[1:]
	}
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.Store.Append(ctx, stream, exp, evs...)
}

// ReportsWrote passes the store's on, unless the test hides it.
func (s *racingStore) ReportsWrote() bool { return !s.inexact && eventstore.ReportsWrote(s.Store) }

// race queues f to run before the next append.
func (s *racingStore) race(f ...func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, f...)
}

func (s *racingStore) appendCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appends
}

type fixture struct {
	t      testing.TB
	mem    *memstore.Store
	racing *racingStore
	cmds   *app.Commands // on racing: what the test exercises
	other  *app.Commands // on mem directly: the other writer
	clock  *fakeClock
	dir    *domain.Directory
}

const ttl = 10 * time.Minute

func newFixture(t testing.TB, cfg app.Config) *fixture {
	t.Helper()
	return newFixtureWrote(t, cfg, true)
}

// newFixtureWrote is newFixture with f.cmds's store reporting an exact
// Wrote (as the embedded store does) or not (as EventStoreDB's adapter).
func newFixtureWrote(t testing.TB, cfg app.Config, exact bool) *fixture {
	t.Helper()
	mem, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	racing := &racingStore{Store: mem, inexact: !exact}
	clock := &fakeClock{now: time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)}
	dir := domain.DemoDirectory()
	if cfg.OfferTTL == 0 {
		cfg.OfferTTL = ttl
	}
	cmds, err := app.New(app.Deps{Store: racing, Directory: dir, Clock: clock}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	other, err := app.New(app.Deps{Store: mem, Directory: dir, Clock: clock}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, mem: mem, racing: racing, cmds: cmds, other: other, clock: clock, dir: dir}
}

var (
	resident    = domain.Actor{Subject: "r-1", Role: domain.RoleResident}
	coordinator = domain.Actor{Subject: "c-1", Role: domain.RoleCoordinator}
	dispatcher  = domain.SystemActor("dispatcher")
)

func as(a domain.Actor) app.Envelope { return app.Envelope{Actor: a} }

func teamMember(team string) domain.Actor {
	return domain.Actor{Subject: "m-" + team, Role: domain.RoleTeam, TeamID: team}
}

func (f *fixture) station(i int) domain.Station { return f.dir.Stations()[i] }

func (f *fixture) team(id string, station int, capacity int, skills ...domain.Category) string {
	f.t.Helper()
	_, err := f.other.RegisterTeam(context.Background(), app.RegisterTeam{Envelope: as(coordinator), TeamID: id,
		Spec: domain.TeamSpec{Name: "队 " + id, StationID: f.station(station).ID, Skills: skills, Capacity: capacity}})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) order(c domain.Category, station int) uuid.UUID {
	f.t.Helper()
	res, err := f.other.PlaceOrder(context.Background(), app.PlaceOrder{Envelope: as(resident), Category: c,
		Title: "需要帮助", StationID: f.station(station).ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.OrderID
}

func (f *fixture) offer(id uuid.UUID, team string) app.DispatchResult {
	f.t.Helper()
	res, err := f.other.DispatchOrder(context.Background(), app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: team})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// stream returns an order's stored events.
func (f *fixture) stream(id uuid.UUID) []eventstore.RecordedEvent {
	f.t.Helper()
	recs, err := f.mem.ReadStream(context.Background(), domain.OrderStream(id), eventstore.ReadStreamOptions{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

func types(recs []eventstore.RecordedEvent) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Type
	}
	return out
}

func (f *fixture) head() eventstore.Position {
	f.t.Helper()
	evs, err := f.mem.ReadAll(context.Background(), eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[0].Position
}
