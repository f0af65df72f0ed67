package dispatcher_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// waitEvents blocks until the log holds n events of type typ; the store's
// subscription is the signal.
func (e *env) waitEvents(typ string, n int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	sub, err := e.store.SubscribeAll(ctx, eventstore.SubscribeOptions{Filter: eventstore.Filter{TypePrefixes: []string{typ}}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer sub.Close()
	seen := 0
	for seen < n {
		msg, err := sub.Recv()
		if err != nil {
			e.t.Fatalf("waiting for %d %s events (saw %d): %v", n, typ, seen, err)
		}
		if msg.Kind == eventstore.EventAppeared && msg.Event.Type == typ {
			seen++
		}
	}
}

func TestRunOffersExpiresAndSavesItsCheckpoint(t *testing.T) {
	cfg := dispatcher.DefaultConfig()
	cfg.TickInterval = 5 * time.Millisecond
	e := newEnv(t, cfg)
	e.threeTeams()
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.d.Run(ctx) }()

	id := e.place(domain.CategoryErrand)
	e.waitEvents(domain.EventTypeOrderOffered, 1)
	e.offeredTo(id, "t-station")
	if _, err := e.d.Drain(e.ctx); err == nil {
		t.Error("Drain while Run follows the log: expected a refusal, found none")
	}

	e.clock.Advance(ttl)
	e.waitEvents(domain.EventTypeOfferExpired, 1)
	e.waitEvents(domain.EventTypeOrderOffered, 2)
	e.offeredTo(id, "t-institute")

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: expected nil, found %v", err)
	}
	pos, err := e.cp.Load(e.ctx)
	if err != nil || pos == eventstore.Start {
		t.Fatalf("checkpoint after Run: expected a saved position, found %d, %v", pos, err)
	}
	if !e.d.CaughtUp() {
		t.Error("CaughtUp: expected true after Run followed the log")
	}
}

func TestFileCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dispatcher.checkpoint")
	cp, err := dispatcher.NewFileCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if pos, err := cp.Load(ctx); err != nil || pos != eventstore.Start {
		t.Fatalf("Load without a file: expected Start, found %d, %v", pos, err)
	}
	for _, p := range []eventstore.Position{42, 1 << 40} {
		if err := cp.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		again, _ := dispatcher.NewFileCheckpoint(path)
		if got, err := again.Load(ctx); err != nil || got != p {
			t.Fatalf("Load after Save(%d): found %d, %v", p, got, err)
		}
	}
	if _, err := dispatcher.NewFileCheckpoint(""); err == nil {
		t.Error("NewFileCheckpoint(\"\"): expected an error")
	}
	if err := writeFile(path, "not a number"); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Load(ctx); err == nil {
		t.Error("Load of a corrupt checkpoint: expected an error, found none")
	}
	bad, _ := dispatcher.NewFileCheckpoint(filepath.Join(t.TempDir(), "missing-dir", "cp"))
	if err := bad.Save(ctx, 1); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("Save into a missing directory: expected an error, found %v", err)
	}
}

// Many orders at once through the concurrent workers: each offered exactly
// once, and the saved checkpoint covers every trigger, so a successor has
// nothing left to do.
func TestRunWithWorkersOffersEachOrderOnce(t *testing.T) {
	cfg := dispatcher.DefaultConfig()
	cfg.Workers = 4
	e := newEnv(t, cfg)
	for i := range 8 {
		e.team(fmt.Sprintf("t-%d", i), stationA, 100, domain.CategoryErrand)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.d.Run(ctx) }()
	var ids []uuid.UUID
	for range 40 {
		ids = append(ids, e.place(domain.CategoryErrand))
	}
	e.waitEvents(domain.EventTypeOrderOffered, len(ids))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if n := len(e.offers(id)); n != 1 {
			t.Errorf("order %s: expected 1 offer, found %d", id, n)
		}
	}
	last := e.record(ids[len(ids)-1], domain.EventTypeOrderPlaced).Position
	if pos, _ := e.cp.Load(e.ctx); pos < last {
		t.Errorf("checkpoint %d is before the last trigger at %d", pos, last)
	}
	head := e.head()
	e.d = e.newDispatcher(cfg)
	if n, err := e.d.Drain(e.ctx); err != nil || n != 0 {
		t.Errorf("successor Drain: expected nothing to handle, found %d, %v", n, err)
	}
	if e.head() != head {
		t.Error("successor appended events")
	}
}
