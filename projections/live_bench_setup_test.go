package projections_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/projections"
)

// startLive runs a pipeline of cfg over a fresh in-memory store and SQLite
// read models in b's temporary directory, with the domain's fast decoder and
// a registry of its own; it stops and closes everything when b ends.
func startLive(b *testing.B, cfg projections.PipelineConfig) (context.Context, *memstore.Store, *projections.Pipeline) {
	b.Helper()
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	v, err := projections.OpenViews(context.Background(), projections.ViewsConfig{DSN: filepath.Join(b.TempDir(), "v.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = v.Close() })
	cfg.Decode, cfg.Registerer = projections.DecodeDomainFast, prometheus.NewRegistry()
	p, err := projections.NewPipeline(s, v, cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	return ctx, s, p
}
