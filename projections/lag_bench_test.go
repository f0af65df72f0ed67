package projections_test

import (
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// BenchmarkLiveLag appends generated lifecycle events one append at a time
// and measures how long every read model takes to reflect each one (append
// → WaitFor returns), the freshness a client waiting for its command sees.
func BenchmarkLiveLag(b *testing.B) {
	ctx, s, p := startLive(b, projections.PipelineConfig{Projections: projections.Definitions()})
	next, stop := iter.Pull(projtest.Generate(projtest.Config{Seed: 5, Orders: 1 << 30, Teams: 200, Interleave: 50}))
	defer stop()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, _ := next()
		start := time.Now()
		res, err := s.Append(ctx, a.Stream, eventstore.Any(), a.Events...)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.WaitFor(ctx, res.Position); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
