package projections_test

import (
	"context"
	"regexp"
	"slices"
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

// TestRebuildLeavesEveryIndex rebuilds in batches small enough that the
// fresh tables are indexed while the end of the log is still being folded
// (and rows written after that maintain the indexes), and checks that the
// swapped-in tables carry every index the migrations create.
func TestRebuildLeavesEveryIndex(t *testing.T) {
	log := projtest.Config{Seed: 12, Orders: 400, Teams: 30, Interleave: 40}
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s := newMemstore(t)
		head := writeLog(t, s, log)
		live := open(t)
		if err := live.Migrate(context.Background(), projections.Definitions()...); err != nil {
			t.Fatal(err)
		}
		want := indexes(t, live)
		if len(want) == 0 {
			t.Fatal("the migrations created no index")
		}
		for _, batch := range []int{0, int(head) / 10} {
			fresh := open(t)
			if _, err := projections.Rebuild(context.Background(), s, fresh, projections.RebuildConfig{
				Projections: projections.Definitions(), Decode: projections.DecodeDomainFast, BatchEvents: batch}); err != nil {
				t.Fatal(err)
			}
			if got := indexes(t, fresh); !slices.Equal(got, want) {
				t.Errorf("batches of %d events: rebuilt tables have indexes\n%s\nexpected\n%s",
					batch, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	})
}

// rebuildSuffix is the suffix a rebuild gives its fresh tables, which
// their indexes keep after the swap; schemaName qualifies PostgreSQL's
// (each test's views have their own schema).
var (
	rebuildSuffix = regexp.MustCompile(`__r[0-9]+`)
	schemaName    = regexp.MustCompile(`ON [a-z0-9_]+\.`)
)

// indexes lists the read models' indexes as "table: definition", without
// a rebuild's suffix, schema or quotes (SQLite quotes a renamed table),
// sorted.
func indexes(t *testing.T, v *projections.Views) []string {
	t.Helper()
	q := `SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`
	if v.Dialect() == projections.Postgres {
		q = `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'`
	}
	rows, err := v.DB().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var table, def string
		if err := rows.Scan(&table, &def); err != nil {
			t.Fatal(err)
		}
		def = schemaName.ReplaceAllString(rebuildSuffix.ReplaceAllString(def, ""), "ON ")
		def = strings.ReplaceAll(def, `"`, "")
		out = append(out, table+": "+def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
