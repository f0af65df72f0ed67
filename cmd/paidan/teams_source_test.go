package main

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/app/simulate"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/projections"
)

// readModelTeams runs the projections over store and returns the read-model
// team source serve uses.
func readModelTeams(t testing.TB, store eventstore.Store) projectionTeams {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	views, err := projections.OpenViews(ctx, projections.ViewsConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := projections.NewPipeline(store, views, projections.PipelineConfig{Projections: projections.Definitions(),
		Decode: projections.DecodeDomainFast, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pipe.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
		_ = views.Close()
	})
	reader, err := projections.NewReader(views, projections.ReaderConfig{Lag: pipe.Lag})
	if err != nil {
		t.Fatal(err)
	}
	teams, err := newProjectionTeams(store, reader, pipe)
	if err != nil {
		t.Fatal(err)
	}
	return teams
}

// The teams read model gives automatic dispatch the same view of the teams
// as a fold of the log (app.LogTeams): profile, activity, load and ratings,
// after a simulated district ran offers, declines, acceptances,
// completions, cancellations and ratings, and two teams were suspended.
func TestReadModelTeamsAgreeWithTheLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := domain.DemoDirectory()
	cmds, err := app.New(app.Deps{Store: store, Directory: dir}, app.Config{OfferTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, stopDispatcher, err := startDispatcher(ctx, dispatcher.Deps{Store: store, Commands: cmds, Logger: quiet}, t.TempDir(), dispatcher.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	drv, err := simulate.NewInProcess(cmds, store)
	if err != nil {
		t.Fatal(err)
	}
	// Teams accept or decline at once (none lets an offer expire), so the
	// run is quick; a lower capacity than orders in flight keeps loads up.
	sim, err := simulate.New(drv, dir, simulate.Config{Teams: 60, Orders: 120, Seed: 7, Concurrency: 16,
		Accept: 0.8, Decline: 0.2, Cancel: 0.05, Rate: 0.9, Poll: 5 * time.Millisecond, OrderTimeout: time.Minute}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	// The read model is built while orders are worked on, and read after.
	teams := readModelTeams(t, store)
	if st, err := sim.Run(ctx); err != nil || st.Failed > 0 {
		t.Fatalf("simulation: %v, %+v", err, st)
	}
	stopDispatcher()
	all, err := app.NewLogTeams(store)
	if err != nil {
		t.Fatal(err)
	}
	fromLog, err := all.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	coordinator := app.Envelope{Actor: domain.Actor{Subject: "c", Role: domain.RoleCoordinator}}
	for _, tm := range fromLog[:2] {
		if _, err := cmds.SuspendTeam(ctx, app.SuspendTeam{Envelope: coordinator, TeamID: tm.TeamID, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
	}

	fromLog, err = all.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fromModel, err := teams.Teams(ctx) // waits for the model to reach the suspensions
	if err != nil {
		t.Fatal(err)
	}
	loaded, rated, inactive := 0, 0, 0
	for _, tm := range fromLog {
		loaded += min(tm.Load, 1)
		rated += min(tm.Ratings, 1)
		if !tm.Active {
			inactive++
		}
	}
	if rated == 0 || inactive != 2 {
		t.Fatalf("the simulation left %d rated teams and %d inactive; expected some of each to compare", rated, inactive)
	}
	sortSkills(fromLog)
	sortSkills(fromModel)
	if !reflect.DeepEqual(fromModel, fromLog) {
		t.Fatalf("teams from the read model differ from the log's:\nmodel %+v\nlog   %+v", fromModel, fromLog)
	}
	t.Logf("%d teams agree (%d with load, %d rated, %d suspended)", len(fromLog), loaded, rated, inactive)
}

func sortSkills(ts []domain.TeamSnapshot) {
	for i := range ts {
		slices.Sort(ts[i].Skills)
	}
}

// BenchmarkTeamSource: one call of each team source, as one automatic
// dispatch makes it, with the demo district's 1,871 teams registered.
func BenchmarkTeamSource(b *testing.B) {
	ctx := context.Background()
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	cmds, err := app.New(app.Deps{Store: store, Directory: domain.DemoDirectory()}, app.Config{})
	if err != nil {
		b.Fatal(err)
	}
	district, err := domain.GenerateDistrict(domain.DemoDirectory(), domain.DemoTeamCount, 1)
	if err != nil {
		b.Fatal(err)
	}
	coordinator := app.Envelope{Actor: domain.Actor{Subject: "c", Role: domain.RoleCoordinator}}
	for _, tm := range district {
		if _, err := cmds.RegisterTeam(ctx, app.RegisterTeam{Envelope: coordinator, TeamID: tm.ID, Spec: tm.Spec}); err != nil {
			b.Fatal(err)
		}
	}
	logTeams, err := app.NewLogTeams(store)
	if err != nil {
		b.Fatal(err)
	}
	sources := []struct {
		name string
		src  app.TeamSource
	}{{"log", logTeams}, {"read_model", readModelTeams(b, store)}}
	for _, s := range sources {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				ts, err := s.src.Teams(ctx)
				if err != nil || len(ts) != domain.DemoTeamCount {
					b.Fatalf("%d teams, %v", len(ts), err)
				}
			}
		})
	}
}
