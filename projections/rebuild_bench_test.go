package projections_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// BenchmarkRebuild rebuilds every read model into SQLite from 200,000
// generated events in memory; `paidan bench rebuild` measures the same over
// the embedded store.
func BenchmarkRebuild(b *testing.B) {
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	n, err := projtest.Write(context.Background(), s, projtest.Config{Seed: 1, Events: 200_000, Teams: 1871}, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		v, err := projections.OpenViews(context.Background(), projections.ViewsConfig{DSN: filepath.Join(b.TempDir(), "v.db")})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := projections.Rebuild(context.Background(), s, v, projections.RebuildConfig{
			Projections: projections.Definitions(), Decode: projections.DecodeDomainFast}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		v.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
