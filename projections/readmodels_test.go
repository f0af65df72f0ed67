package projections_test

import (
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenLog is the fixed event log of the golden tests: 80 interleaved
// lifecycles over 12 teams, every kind of step among them.
var goldenLog = projtest.Config{Seed: 7, Orders: 80, Teams: 12, Interleave: 10}

func writeLog(t *testing.T, s eventstore.Store, cfg projtest.Config) eventstore.Position {
	t.Helper()
	n, err := projtest.Write(context.Background(), s, cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return eventstore.Position(n) // the memstore numbers events 1, 2, 3…
}

// modelTables are every read-model table whose content the log determines;
// queue_changes is left out because it records live deliveries only.
func modelTables() []string {
	var out []string
	for _, d := range projections.Definitions() {
		for _, tb := range d.Tables {
			if tb != "queue_changes" {
				out = append(out, tb)
			}
		}
	}
	return out
}

func readModelPipeline(t *testing.T, s eventstore.Store, v *projections.Views, cfg projections.PipelineConfig) *projections.Pipeline {
	t.Helper()
	cfg.Projections = projections.Definitions()
	cfg.Decode = projections.DecodeDomainFast
	return newPipeline(t, s, v, cfg)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("read models differ from %s (rerun with -update after checking the change):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

func assertNothingParked(t *testing.T, v *projections.Views) {
	t.Helper()
	parked, err := v.Parked(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 0 {
		t.Errorf("parked events %+v, expected none from a valid log", parked)
	}
}

// TestGoldenReplay replays the fixed log live through the pipeline and
// compares every read model with the golden dump; SQLite and PostgreSQL must
// produce the same file. A rebuild into fresh tables must too.
func TestGoldenReplay(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, goldenLog)
		p := readModelPipeline(t, s, v, projections.PipelineConfig{BatchSize: 13})
		runPipeline(t, p)
		waitFor(t, p, head)
		live := dump(t, v, modelTables()...)
		golden(t, "readmodels.golden", live)
		assertNothingParked(t, v)

		changes := dump(t, v, "queue_changes")
		if strings.Count(changes, "\n") < 100 {
			t.Errorf("queue_changes has %d lines, expected a change per queue event", strings.Count(changes, "\n"))
		}

		fresh := open(t)
		res, err := projections.Rebuild(context.Background(), s, fresh, projections.RebuildConfig{
			Projections: projections.Definitions(), Decode: projections.DecodeDomain, BatchEvents: 50})
		if err != nil {
			t.Fatal(err)
		}
		if res.Events != uint64(head) || res.Parked != 0 {
			t.Errorf("rebuild %+v: expected %d events and nothing parked", res, head)
		}
		if rebuilt := dump(t, fresh, modelTables()...); rebuilt != live {
			t.Errorf("rebuild differs from live replay:\n%s", diffLines(live, rebuilt))
		}
	})
}

// duplicatingStore delivers every event of a subscription twice in a row, and
// every tenth one again after the next: at-least-once delivery at its worst.
type duplicatingStore struct{ eventstore.Store }

func (d duplicatingStore) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	sub, err := d.Store.SubscribeAll(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &duplicatingSub{Subscription: sub}, nil
}

type duplicatingSub struct {
	eventstore.Subscription
	queue []eventstore.Message
	n     int
}

func (s *duplicatingSub) Recv() (eventstore.Message, error) {
	if len(s.queue) > 0 {
		m := s.queue[0]
		s.queue = s.queue[1:]
		return m, nil
	}
	m, err := s.Subscription.Recv()
	if err == nil && m.Kind == eventstore.EventAppeared {
		s.n++
		s.queue = append(s.queue, m)
		if s.n%10 == 0 {
			if next, err := s.Subscription.Recv(); err == nil {
				s.queue = append(s.queue, next, m)
			}
		}
	}
	return m, err
}

func TestEveryEventDeliveredTwiceChangesNothing(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, goldenLog)
		p := readModelPipeline(t, duplicatingStore{s}, v, projections.PipelineConfig{BatchSize: 5})
		runPipeline(t, p)
		waitFor(t, p, head)
		golden(t, "readmodels.golden", dump(t, v, modelTables()...))
		assertNothingParked(t, v)
	})
}

// TestKilledBetweenWriteAndCheckpoint fails a third of the batch commits at
// random — after the read-model writes and before the checkpoint, before the
// commit, or after it but before the ack — and expects the golden tables.
func TestKilledBetweenWriteAndCheckpoint(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, goldenLog)
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(3, 4))
		kills := 0
		p := readModelPipeline(t, s, v, projections.PipelineConfig{BatchSize: 9,
			Source: projections.SourceConfig{MinBackoff: 1, MaxBackoff: 2},
			FailAt: func(string, projections.FailPoint) error {
				mu.Lock()
				defer mu.Unlock()
				if rng.IntN(3) == 0 {
					kills++
					return errInjected
				}
				return nil
			}})
		runPipeline(t, p)
		waitFor(t, p, head)
		live := dump(t, v, modelTables()...)
		golden(t, "readmodels.golden", live)
		assertNothingParked(t, v)
		fresh := open(t)
		if _, err := projections.Rebuild(context.Background(), s, fresh, projections.RebuildConfig{
			Projections: projections.Definitions(), Decode: projections.DecodeDomain}); err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(t, fresh, modelTables()...); rebuilt != live {
			t.Errorf("after injected crashes the read models differ from a from-scratch rebuild:\n%s", diffLines(rebuilt, live))
		}
		mu.Lock()
		defer mu.Unlock()
		if kills < 50 {
			t.Errorf("%d failures injected; expected at least 50", kills)
		}
	})
}

var errInjected = &injected{}

type injected struct{}

func (*injected) Error() string { return "injected crash" }

func TestPoisonedDomainEventIsParkedAndOthersGoOn(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	head := writeLog(t, s, goldenLog)
	// A team event whose payload is not JSON: every projection that reads
	// team registrations parks it.
	res, err := s.Append(context.Background(), "team-broken", eventstore.Any(),
		eventstore.EventData{ID: [16]byte{1}, Type: "TeamRegistered", Data: []byte(`{not json`)})
	if err != nil {
		t.Fatal(err)
	}
	p := readModelPipeline(t, s, v, projections.PipelineConfig{MaxRetries: 1, RetryInterval: time.Millisecond})
	runPipeline(t, p)
	waitFor(t, p, res.Position)
	parked, err := v.Parked(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var readers []string
	for _, d := range projections.Definitions() {
		if d.Types == nil || slices.Contains(d.Types, "TeamRegistered") {
			readers = append(readers, d.Name)
		}
	}
	if len(parked) != len(readers) || len(readers) < 2 {
		t.Fatalf("parked %d events, expected the broken event once per projection that reads it (%v): %+v", len(parked), readers, parked)
	}
	for _, pe := range parked {
		if pe.Position != uint64(res.Position) || pe.Stream != "team-broken" || !strings.Contains(pe.Error, "malformed") {
			t.Errorf("parked %+v: expected position %d of team-broken with a malformed-payload error", pe, res.Position)
		}
	}
	_ = head
	golden(t, "readmodels.golden", dump(t, v, modelTables()...))
}

func TestRebuildByReadModelName(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	writeLog(t, s, goldenLog)
	cfg := projections.RebuildConfig{Projections: projections.Definitions(), Decode: projections.DecodeDomainFast}
	res, err := projections.Rebuild(context.Background(), s, v, cfg, projections.NameSLA, projections.NameOrders)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Projections, []string{projections.NameOrders}) {
		t.Errorf("rebuild of sla and orders rebuilt %v, expected orders once (the SLA figures are its columns)", res.Projections)
	}
	if _, err := projections.Rebuild(context.Background(), s, v, cfg, "nope"); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Errorf("rebuild of an unknown projection: err = %v, expected ErrUnknownProjection", err)
	}
}

// TestRebuildBeyondItsCache rebuilds with a row cache far smaller than the
// models, so most of the log is applied reading rows back from the fresh
// tables; the result must not change.
func TestRebuildBeyondItsCache(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		writeLog(t, s, goldenLog)
		if _, err := projections.Rebuild(context.Background(), s, v, projections.RebuildConfig{
			Projections: projections.Definitions(), Decode: projections.DecodeDomainFast,
			BatchEvents: 40, CacheRows: 30}); err != nil {
			t.Fatal(err)
		}
		golden(t, "readmodels.golden", dump(t, v, modelTables()...))
	})
}

// TestMigrationsUpgradeAnEarlierSchema creates the orders table as its first
// version had it, then lets the pipeline migrate it and replay the log.
func TestMigrationsUpgradeAnEarlierSchema(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, goldenLog)
		first := projections.OrdersDefinition()
		first.Migrations = first.Migrations[:1]
		if err := v.Migrate(context.Background(), first); err != nil {
			t.Fatal(err)
		}
		p := readModelPipeline(t, s, v, projections.PipelineConfig{})
		runPipeline(t, p)
		waitFor(t, p, head)
		golden(t, "readmodels.golden", dump(t, v, modelTables()...))
	})
}

// TestLiveWithATinyRowCache forgets cached rows after almost every batch, so
// the models read nearly every row back from the tables: loading a row must
// give back exactly what was saved.
func TestLiveWithATinyRowCache(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, goldenLog)
		p := readModelPipeline(t, s, v, projections.PipelineConfig{CacheRows: 3, BatchSize: 7})
		runPipeline(t, p)
		waitFor(t, p, head)
		golden(t, "readmodels.golden", dump(t, v, modelTables()...))
		assertNothingParked(t, v)
	})
}

// TestStopMidCatchUpThenResume stops the pipeline while its projections are
// catching up (batches open, SQLite's one writer in use), then starts a new
// pipeline on the same read models: it must stop without waiting out the
// router's close timeout, and the resumed models must equal a rebuild.
func TestStopMidCatchUpThenResume(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, projtest.Config{Seed: 9, Events: 6_000, Teams: 50})
		p := readModelPipeline(t, s, v, projections.PipelineConfig{BatchSize: 1000, BatchInterval: 50 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		waitFor(t, p, 100)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("pipeline stopped mid catch-up: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the pipeline did not stop within 20 s of its context ending: a projection is stuck")
		}
		if pos, _ := p.Position(projections.NameOrders); pos >= head {
			t.Fatalf("orders reached the head (%d) before the stop; the test needs a stop mid catch-up", head)
		}
		p2 := readModelPipeline(t, s, v, projections.PipelineConfig{})
		runPipeline(t, p2)
		waitFor(t, p2, head)
		fresh := open(t)
		if _, err := projections.Rebuild(context.Background(), s, fresh, projections.RebuildConfig{
			Projections: projections.Definitions(), Decode: projections.DecodeDomainFast}); err != nil {
			t.Fatal(err)
		}
		if got, want := dump(t, v, modelTables()...), dump(t, fresh, modelTables()...); got != want {
			t.Errorf("resumed read models differ from a rebuild:\n%s", diffLines(want, got))
		}
	})
}
