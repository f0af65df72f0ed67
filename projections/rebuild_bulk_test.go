package projections_test

import (
	"context"
	"strings"
	"testing"

	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// TestRebuildInsertsFoldedRowsLikeLiveReplay rebuilds a log with more
// orders than one multi-row INSERT holds, so the rows folded in memory go
// in several statements (and the last one short), and compares every read
// model with the live pipeline's. With a small cache the rows are written
// part-way and the rest of the log is applied reading them back.
func TestRebuildInsertsFoldedRowsLikeLiveReplay(t *testing.T) {
	log := projtest.Config{Seed: 11, Orders: 700, Teams: 40, Interleave: 60}
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		head := writeLog(t, s, log)
		p := readModelPipeline(t, s, v, projections.PipelineConfig{BatchSize: 500})
		runPipeline(t, p)
		waitFor(t, p, head)
		live := dump(t, v, modelTables()...)
		if n := strings.Count(dump(t, v, "orders"), "\n") - 1; n != log.Orders {
			t.Fatalf("live replay has %d orders, expected %d", n, log.Orders)
		}
		for _, tc := range []struct {
			name                   string
			batchEvents, cacheRows int
		}{
			{"everything in memory", 0, 0},
			{"several batches in memory", 997, 0},
			{"cache outgrown part-way", 1000, 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				fresh := open(t)
				res, err := projections.Rebuild(context.Background(), s, fresh, projections.RebuildConfig{
					Projections: projections.Definitions(), Decode: projections.DecodeDomainFast,
					BatchEvents: tc.batchEvents, CacheRows: tc.cacheRows})
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
	})
}
