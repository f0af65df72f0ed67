package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/ops"
	"github.com/paidan/paidan/projections"
)

// readSide is the read models, the pipeline of projections that keeps them
// and the reader that answers from them.
type readSide struct {
	views  *projections.Views
	pipe   *projections.Pipeline
	reader *projections.Reader
}

// openReadSide opens the read models (SQLite in the data directory, or
// PostgreSQL with PAIDAN_VIEWS_DSN) and migrates them before anything reads
// them, and prepares the pipeline with its metrics on reg. The pipeline runs
// when run is called; close the views after it returned.
func openReadSide(ctx context.Context, cfg ops.Config, store eventstore.Store, reg prometheus.Registerer, log *slog.Logger) (*readSide, error) {
	views, err := projections.OpenViews(ctx, projections.ViewsConfig{DSN: cfg.ViewsDSN, DataDir: cfg.DataDir})
	if err != nil {
		return nil, fmt.Errorf("read models (%s / --%s): %w", ops.EnvViewsDSN, ops.FlagViewsDSN, err)
	}
	defs := projections.Definitions()
	// Migrated here, not only by the pipeline's Run, so that the first
	// request never finds a table missing.
	if err := views.Migrate(ctx, defs...); err != nil {
		return nil, errors.Join(fmt.Errorf("read models: %w", err), views.Close())
	}
	// watermill logs every handler start and stop at info; those are
	// debugging detail for an operator.
	wlog := watermill.NewSlogLoggerWithLevelMapping(log.With("component", "projections"),
		map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	pipe, err := projections.NewPipeline(store, views, projections.PipelineConfig{
		Projections: defs, Decode: projections.DecodeDomainFast, Registerer: reg, Logger: wlog, LiveLinger: cfg.ProjectionLinger})
	if err != nil {
		return nil, errors.Join(err, views.Close())
	}
	reader, err := projections.NewReader(views, projections.ReaderConfig{Lag: pipe.Lag})
	if err != nil {
		return nil, errors.Join(err, views.Close())
	}
	return &readSide{views: views, pipe: pipe, reader: reader}, nil
}

// run follows the log until ctx ends. A pipeline stops only for a fault of
// the read-model database (an unreachable event store is ridden out by its
// source); it cannot be restarted in the process, so its error ends serve.
func (r *readSide) run(ctx context.Context) error {
	if err := r.pipe.Run(ctx); err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	return nil
}

// settle waits, within ctx, for every projection to apply the log up to its
// head, so the pipeline is stopped with no batch open. It is called once
// nothing writes any more (HTTP, the demo load and the dispatcher stopped).
//
// Why it matters: the projections share the read models' one writer
// connection, and a projection stopped while a batch is open keeps it, so
// another projection waiting for the writer blocks the pipeline's shutdown
// until watermill gives up on it (30 s). A pipeline that has applied the
// head has no batch open. When the head cannot be read or is not reached in
// time, serve stops the pipeline anyway.
func (r *readSide) settle(ctx context.Context, store eventstore.Store) error {
	return settleProjections(ctx, store, r.pipe)
}

// settleProjections waits for every projection of pipe to apply store's log
// up to its head (see readSide.settle).
func settleProjections(ctx context.Context, store eventstore.Store, pipe *projections.Pipeline) error {
	head, err := store.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
	if err != nil {
		return fmt.Errorf("read the log's head: %w", err)
	}
	if len(head) == 0 {
		return nil
	}
	return pipe.WaitFor(ctx, head[0].Position)
}

// caughtUp is the readiness check of the read models: ready once every
// projection has caught up with the log since the server started, so a
// server that is replaying a long log is not sent traffic it would answer
// from stale tables.
func (r *readSide) caughtUp(context.Context) error {
	if !r.pipe.Ready() {
		return errors.New("projections have not yet caught up with the event log since start")
	}
	return nil
}

// routes are the read endpoints and the dashboard over these read models.
func (r *readSide) routes(store eventstore.Store) (*api.ReadRoutes, error) {
	return api.NewReadRoutes(api.ReadDeps{Reader: r.reader, Waiter: r.pipe, Status: r.pipe, Parked: r.views, Store: store,
		Rebuilder: r.pipe},
		api.ReadConfig{})
}

func (r *readSide) close() error {
	if err := r.views.Close(); err != nil {
		return fmt.Errorf("close read models: %w", err)
	}
	return nil
}
