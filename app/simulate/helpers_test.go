package simulate_test

import (
	"context"
	"testing"
	"time"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
)

// engine is the write side with the dispatcher running, on real time with a
// short offer TTL so ignored offers expire quickly.
type engine struct {
	store eventstore.Store
	cmds  *app.Commands
	disp  *dispatcher.Dispatcher
}

func startEngine(t *testing.T, ttl time.Duration, maxOffers int) *engine {
	t.Helper()
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := app.New(app.Deps{Store: store, Directory: domain.DemoDirectory()}, app.Config{OfferTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	cfg := dispatcher.DefaultConfig()
	cfg.TickInterval = ttl / 4
	cfg.MaxOffers = maxOffers
	d, err := dispatcher.New(dispatcher.Deps{Store: store, Commands: cmds}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dispatcher Run: %v", err)
		}
		_ = store.Close()
	})
	return &engine{store: store, cmds: cmds, disp: d}
}

// audit reads the whole log and checks that every order ended and that
// every automatic offer carries its decision record. It returns the
// number of orders by final status.
func audit(t *testing.T, store eventstore.Store) map[domain.OrderStatus]int {
	t.Helper()
	ctx := context.Background()
	histories := map[string][]domain.Event{}
	offers, undecided := 0, 0
	for from := eventstore.Start; ; {
		page, err := store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Limit: 4096})
		if err != nil {
			t.Fatal(err)
		}
		fresh := 0
		for _, rec := range page {
			if from != eventstore.Start && rec.Position <= from {
				continue
			}
			fresh++
			from = rec.Position
			if _, err := domain.ParseOrderStream(rec.StreamID); err != nil {
				continue
			}
			e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
			if err != nil {
				t.Fatal(err)
			}
			histories[rec.StreamID] = append(histories[rec.StreamID], e)
			if off, ok := e.(domain.OrderOffered); ok {
				offers++
				if off.Decision == nil || off.Decision.PolicyVersion != domain.PolicyVersion || len(off.Decision.Candidates) == 0 {
					undecided++
				}
			}
		}
		if len(page) < 4096 || fresh == 0 {
			break
		}
	}
	byStatus := map[domain.OrderStatus]int{}
	for stream, h := range histories {
		o, err := domain.RehydrateOrder(h)
		if err != nil {
			t.Fatalf("%s: %v", stream, err)
		}
		byStatus[o.Status()]++
		switch o.Status() {
		case domain.StatusCompleted, domain.StatusRated, domain.StatusCancelled, domain.StatusEscalated:
		default:
			t.Errorf("order %s is stuck in %s after %d offers", stream, o.Status(), o.OffersMade())
		}
	}
	if undecided > 0 {
		t.Errorf("%d of %d offers lack a decision record", undecided, offers)
	}
	t.Logf("%d orders by final status %v; %d offers, all with decisions", len(histories), byStatus, offers)
	return byStatus
}
