package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Migrate applies every projection's migrations not yet recorded, each in its
// own transaction with its record, and creates the checkpoint rows.
func (v *Views) Migrate(ctx context.Context, defs ...Definition) error {
	if err := validateDefinitions(defs); err != nil {
		return err
	}
	live := newNames("", v.dialect)
	for _, d := range defs {
		if err := v.migrateOne(ctx, live, d); err != nil {
			return fmt.Errorf("migrate %s: %w", d.Name, err)
		}
	}
	return nil
}

func (v *Views) migrateOne(ctx context.Context, nm *names, d Definition) error {
	tx, err := v.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if v.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7261746)`); err != nil {
			return err
		}
	}
	var applied sql.NullInt64
	if err := tx.QueryRowContext(ctx,
		`SELECT MAX(version) FROM projection_migrations WHERE projection = $1`, d.Name).Scan(&applied); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	for _, m := range d.Migrations {
		if int64(m.Version) <= applied.Int64 {
			continue
		}
		for _, s := range m.Statements {
			if _, err := tx.ExecContext(ctx, nm.expand(s)); err != nil {
				return fmt.Errorf("version %d: %w", m.Version, err)
			}
		}
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO projection_migrations (projection, version, applied_at) VALUES ($1, $2, $3)`,
			d.Name, m.Version, now); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO projection_checkpoints (name, position, updated_at) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING`,
		d.Name, now); err != nil {
		return err
	}
	return tx.Commit()
}

// createTables runs all of d's migrations on fresh tables named by nm,
// except CREATE INDEX statements, which it returns: a rebuild fills the
// tables first and indexes them once, which is cheaper than maintaining the
// indexes row by row.
func createTables(ctx context.Context, tx *sql.Tx, nm *names, d Definition) ([]string, error) {
	var indexes []string
	for _, m := range d.Migrations {
		for _, s := range m.Statements {
			q := nm.expand(s)
			if u := strings.ToUpper(strings.TrimSpace(q)); strings.HasPrefix(u, "CREATE INDEX") || strings.HasPrefix(u, "CREATE UNIQUE INDEX") {
				indexes = append(indexes, q)
				continue
			}
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("create %s tables, version %d: %w", d.Name, m.Version, err)
			}
		}
	}
	return indexes, nil
}

// Checkpoint returns the committed position of a projection.
func (v *Views) Checkpoint(ctx context.Context, name string) (uint64, error) {
	var p int64
	err := v.read.QueryRowContext(ctx, `SELECT position FROM projection_checkpoints WHERE name = $1`, name).Scan(&p)
	if err == sql.ErrNoRows {
		return 0, fmt.Errorf("%w: %q has no checkpoint", ErrUnknownProjection, name)
	}
	if err != nil {
		return 0, fmt.Errorf("views: checkpoint of %q: %w", name, err)
	}
	return uint64(p), nil
}

// lockCheckpoint reads a projection's checkpoint inside a write transaction,
// holding it against concurrent writers of the same projection (other
// processes, or a rebuild swapping tables) until the transaction ends.
func lockCheckpoint(ctx context.Context, tx *Tx, name string) (uint64, error) {
	q := `SELECT position FROM projection_checkpoints WHERE name = $1`
	if tx.Dialect() == Postgres {
		q += ` FOR UPDATE`
	}
	row, err := tx.QueryRow(ctx, q, name)
	if err != nil {
		return 0, err
	}
	var p int64
	if err := row.Scan(&p); err != nil {
		return 0, fmt.Errorf("checkpoint of %q: %w", name, err)
	}
	return uint64(p), nil
}

func saveCheckpoint(ctx context.Context, tx *Tx, name string, pos uint64) error {
	return tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = $3 WHERE name = $1`,
		name, int64(pos), time.Now().UnixMilli())
}
