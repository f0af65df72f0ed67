package projections_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/projections"
)

// backends runs f once per read-model database: SQLite always, PostgreSQL
// when PAIDAN_TEST_PG_DSN is set (required when CI=true).
func backends(t *testing.T, f func(t *testing.T, open func(t *testing.T) *projections.Views)) {
	t.Run("sqlite", func(t *testing.T) { f(t, sqliteViews) })
	t.Run("postgres", func(t *testing.T) { f(t, pgViews) })
}

func sqliteViews(t *testing.T) *projections.Views {
	t.Helper()
	v, err := projections.OpenViews(context.Background(), projections.ViewsConfig{
		DSN: filepath.Join(t.TempDir(), projections.ViewsFile)})
	if err != nil {
		t.Fatalf("open sqlite views: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// pgViews opens a fresh schema of the test database, dropped afterwards, so
// tests (and other packages' tests) never see each other's tables.
func pgViews(t *testing.T) *projections.Views {
	t.Helper()
	dsn := os.Getenv("PAIDAN_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PAIDAN_TEST_PG_DSN is not set; CI must test PostgreSQL read models")
		}
		t.Skip("PAIDAN_TEST_PG_DSN is not set; skipping the PostgreSQL read models")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at PAIDAN_TEST_PG_DSN is unreachable: %v", err)
		}
		t.Skipf("PostgreSQL at PAIDAN_TEST_PG_DSN is unreachable, skipping: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "projtest_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("PAIDAN_TEST_PG_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	v, err := projections.OpenViews(ctx, projections.ViewsConfig{DSN: u.String()})
	if err != nil {
		t.Fatalf("open postgres views: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func newMemstore(t *testing.T) *memstore.Store {
	t.Helper()
	s, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tally is a test projection: per stream, how many events it saw, the sum of
// their positions and the last type. It fails on events whose type is in
// failOn, to exercise parking.
func tally(name string, failOn ...string) projections.Definition {
	table := name
	return projections.Definition{
		Name:   name,
		Tables: []string{table},
		Migrations: []projections.Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {` + table + `} (stream TEXT PRIMARY KEY, events BIGINT NOT NULL, position_sum BIGINT NOT NULL, last_type TEXT NOT NULL)`,
			`CREATE INDEX {` + table + `}_type ON {` + table + `} (last_type)`,
		}}},
		New: func(u *projections.Unit) projections.Model {
			return &tallyModel{failOn: failOn, rows: projections.NewTable(u, projections.TableSpec[string, tallyRow]{
				Load: func(ctx context.Context, tx *projections.Tx, k string) (tallyRow, bool, error) {
					row, err := tx.QueryRow(ctx, `SELECT events, position_sum, last_type FROM {`+table+`} WHERE stream = $1`, k)
					if err != nil {
						return tallyRow{}, false, err
					}
					var r tallyRow
					err = row.Scan(&r.events, &r.sum, &r.last)
					if errors.Is(err, sql.ErrNoRows) {
						return tallyRow{}, false, nil
					}
					return r, err == nil, err
				},
				Save: func(ctx context.Context, tx *projections.Tx, k string, r tallyRow) error {
					return tx.Exec(ctx, `INSERT INTO {`+table+`} (stream, events, position_sum, last_type) VALUES ($1, $2, $3, $4)
						ON CONFLICT (stream) DO UPDATE SET events = excluded.events, position_sum = excluded.position_sum, last_type = excluded.last_type`,
						k, r.events, r.sum, r.last)
				},
			})}
		},
	}
}

type tallyRow struct {
	events, sum int64
	last        string
}

type tallyModel struct {
	failOn []string
	rows   *projections.Table[string, tallyRow]
}

func (m *tallyModel) Apply(ctx context.Context, tx *projections.Tx, ev *projections.Event) error {
	r, _, err := m.rows.Get(ctx, tx, ev.StreamID)
	if err != nil {
		return err
	}
	r.events++
	r.sum += int64(ev.Position)
	r.last = ev.Type
	// Write before failing, so a failure must be undone to leave no trace.
	if err := m.rows.Put(ctx, tx, ev.StreamID, r); err != nil {
		return err
	}
	for _, f := range m.failOn {
		if ev.Type == f {
			return fmt.Errorf("tally refuses %s events", f)
		}
	}
	return nil
}

// appendEvents writes n events spread over streams, returning the last position.
func appendEvents(t *testing.T, s eventstore.Store, n int, streams int, typ string) eventstore.Position {
	t.Helper()
	var last eventstore.Position
	for i := 0; i < n; i++ {
		res, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%streams), eventstore.Any(),
			eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(`{}`), Metadata: []byte(`{"correlation_id":"c-1"}`)})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		last = res.Position
	}
	return last
}

// runPipeline starts p and stops it when the test ends.
func runPipeline(t *testing.T, p *projections.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pipeline run: %v", err)
		}
	})
}

func newPipeline(t *testing.T, s eventstore.Store, v *projections.Views, cfg projections.PipelineConfig) *projections.Pipeline {
	t.Helper()
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	p, err := projections.NewPipeline(s, v, cfg)
	if err != nil {
		t.Fatalf("new pipeline: %v", err)
	}
	return p
}

func waitFor(t *testing.T, p *projections.Pipeline, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.WaitFor(ctx, pos); err != nil {
		t.Fatalf("projections did not reach position %d: %v", pos, err)
	}
}

func dump(t *testing.T, v *projections.Views, tables ...string) string {
	t.Helper()
	d, err := v.Dump(context.Background(), tables...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
