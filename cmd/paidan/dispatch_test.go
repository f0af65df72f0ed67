package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/ops"
	"github.com/paidan/paidan/projections"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// The dispatcher on the offers read model: a suspension waits for the model
// to reach it and withdraws the offer; a due offer listed by the model is
// expired.
func TestDispatcherOnTheOffersReadModel(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	store, err := memstore.New(memstore.Config{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	views, err := projections.OpenViews(ctx, projections.ViewsConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = views.Close() })
	pipe, err := projections.NewPipeline(store, views, projections.PipelineConfig{Projections: projections.Definitions(),
		Decode: projections.DecodeDomain, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopPipe := context.WithCancel(ctx)
	piped := make(chan error, 1)
	go func() { piped <- pipe.Run(pctx) }()
	t.Cleanup(func() {
		// Stopped with a batch open, the pipeline would hold the read
		// models' writer and its shutdown would race its own handlers
		// (settleProjections says why): let it apply the log first.
		sctx, settled := context.WithTimeout(ctx, 30*time.Second)
		if err := settleProjections(sctx, store, pipe); err != nil {
			t.Errorf("projections did not apply the log: %v", err)
		}
		settled()
		stopPipe()
		if err := <-piped; err != nil {
			t.Errorf("pipeline: %v", err)
		}
	})
	reader, err := projections.NewReader(views, projections.ReaderConfig{Lag: pipe.Lag})
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 10 * time.Minute
	cmds, err := app.New(app.Deps{Store: store, Directory: domain.DemoDirectory(), Clock: clock}, app.Config{OfferTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	offers := projectionOffers{reader: reader, pipeline: pipe}
	cfg := dispatcherConfig(ops.Config{AutoDispatch: true, MaxOffers: 3, OfferTTL: ttl})
	d, err := dispatcher.New(dispatcher.Deps{Store: store, Commands: cmds, Due: offers, TeamOffers: offers,
		Clock: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, cfg)
	if err != nil {
		t.Fatal(err)
	}

	coordinator := app.Envelope{Actor: domain.Actor{Subject: "c-1", Role: domain.RoleCoordinator}}
	for _, tm := range []struct{ id, station string }{{"near", "wanshoulu-001"}, {"mid", "wanshoulu-002"}, {"far", "yongdinglu-001"}} {
		if _, err := cmds.RegisterTeam(ctx, app.RegisterTeam{Envelope: coordinator, TeamID: tm.id,
			Spec: domain.TeamSpec{Name: tm.id, StationID: tm.station, Skills: []domain.Category{domain.CategoryErrand}, Capacity: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	placed, err := cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: app.Envelope{Actor: domain.Actor{Subject: "r-1", Role: domain.RoleResident}},
		Category: domain.CategoryErrand, Title: "送药", StationID: "wanshoulu-001", Contact: "x"})
	if err != nil {
		t.Fatal(err)
	}
	id := placed.OrderID
	drain := func() {
		t.Helper()
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	offeredTo := func(team string) domain.Offer {
		t.Helper()
		o := loadOrder(t, store, id)
		off, ok := o.CurrentOffer()
		if !ok || off.TeamID != team {
			t.Fatalf("expected the order offered to %s, found %s %+v", team, o.Status(), off)
		}
		return off
	}
	drain()
	offeredTo("near")

	if _, err := cmds.SuspendTeam(ctx, app.SuspendTeam{Envelope: coordinator, TeamID: "near", Reason: "away"}); err != nil {
		t.Fatal(err)
	}
	drain() // TeamOffers waits for the read model to see the suspension
	drain()
	off := offeredTo("mid")

	clock.add(ttl)
	head := loadOrderHead(t, store, id)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pipe.WaitFor(wctx, head, projections.NameOffers); err != nil {
		t.Fatal(err)
	}
	if n, err := d.ExpireDue(ctx); err != nil || n != 1 {
		t.Fatalf("ExpireDue from the read model: expected 1, found %d, %v", n, err)
	}
	drain()
	if next := offeredTo("far"); next.ID == off.ID {
		t.Fatal("the expired offer is still current")
	}
}

func loadOrder(t *testing.T, s eventstore.Store, id uuid.UUID) *domain.Order {
	t.Helper()
	recs, err := s.ReadStream(context.Background(), domain.OrderStream(id), eventstore.ReadStreamOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var h []domain.Event
	for _, r := range recs {
		e, err := domain.UnmarshalEvent(r.Type, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		h = append(h, e)
	}
	o, err := domain.RehydrateOrder(h)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func loadOrderHead(t *testing.T, s eventstore.Store, id uuid.UUID) eventstore.Position {
	t.Helper()
	recs, err := s.ReadStream(context.Background(), domain.OrderStream(id),
		eventstore.ReadStreamOptions{From: eventstore.StreamEnd, Direction: eventstore.Backwards, Limit: 1})
	if err != nil || len(recs) != 1 {
		t.Fatalf("last event of order %s: %v", id, err)
	}
	return recs[0].Position
}

func TestDispatcherConfigFromSettings(t *testing.T) {
	cases := []struct {
		in       ops.Config
		auto     bool
		max      int
		tickUpTo time.Duration
	}{
		{ops.Config{AutoDispatch: true, MaxOffers: 5, OfferTTL: 10 * time.Minute}, true, 5, time.Second},
		{ops.Config{AutoDispatch: false, MaxOffers: 0, OfferTTL: time.Second}, false, dispatcher.DefaultMaxOffers, 100 * time.Millisecond},
	}
	for _, tc := range cases {
		c := dispatcherConfig(tc.in)
		if c.AutoDispatch != tc.auto || c.MaxOffers != tc.max || c.TickInterval > tc.tickUpTo || c.Validate() != nil {
			t.Errorf("dispatcherConfig(%+v) = auto %v, max %d, tick %s; expected auto %v, max %d, tick ≤ %s",
				tc.in, c.AutoDispatch, c.MaxOffers, c.TickInterval, tc.auto, tc.max, tc.tickUpTo)
		}
	}
}
