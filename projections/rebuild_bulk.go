package projections

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// InsertSpec describes plain multi-row INSERTs of a table's rows. A rebuild
// uses it for the rows it folded in memory while every row was there (an
// authoritative unit): each row is final, the table is fresh and empty, so
// one INSERT per row, no conflict clause, and rows in key order (appends to
// the primary key's B-tree) replace an upsert per row and batch.
type InsertSpec[K comparable, R any] struct {
	// Table is the logical table name, as in {orders}; required.
	Table string
	// Columns lists the inserted columns, comma-separated; required.
	Columns string
	// Args returns one row's values in Columns' order; required.
	Args func(k K, r R) []any
	// Compare orders keys like the table's primary key; optional.
	Compare func(a, b K) int
}

// insertParams bounds the parameters of one multi-row INSERT (SQLite allows
// 32766, PostgreSQL 65535); larger statements gain nothing measurable.
const insertParams = 4096

// compact ends a rebuild batch that wrote nothing: rows deleted before they
// were ever written are forgotten (a queue entry, a pending offer), the
// others stay in memory, clean until changed again; insertAll writes every
// row that exists and is not stored.
func (t *Table[K, R]) compact() {
	for _, k := range t.dirty {
		c := t.rows[k]
		if c == nil {
			continue
		}
		c.dirty = false
		if !c.exists && !c.stored {
			delete(t.rows, k)
			t.u.size--
		}
	}
	t.dirty = t.dirty[:0]
}

// insertAll writes every existing row and marks every row clean and
// stored. It runs at most once per table, while the unit is authoritative
// and before anything else was written, so no row is stored yet.
func (t *Table[K, R]) insertAll(ctx context.Context, tx *Tx) error {
	keys := make([]K, 0, len(t.rows))
	for k, c := range t.rows {
		if !c.exists {
			delete(t.rows, k)
			t.u.size--
			continue
		}
		if !c.stored {
			keys = append(keys, k)
		}
	}
	if err := t.insert(ctx, tx, keys); err != nil {
		return err
	}
	for _, c := range t.rows {
		c.stored, c.dirty = true, false
	}
	t.dirty = t.dirty[:0]
	return nil
}

func (t *Table[K, R]) insert(ctx context.Context, tx *Tx, keys []K) error {
	ins := t.spec.Insert
	if ins == nil {
		for _, k := range keys {
			if err := t.spec.Save(ctx, tx, k, t.rows[k].val); err != nil {
				return fmt.Errorf("flush %v: %w", k, err)
			}
		}
		return nil
	}
	if ins.Compare != nil {
		slices.SortFunc(keys, ins.Compare)
	}
	cols := strings.Count(ins.Columns, ",") + 1
	per := max(1, insertParams/cols)
	args := make([]any, 0, per*cols)
	stmts := map[int]string{}
	for len(keys) > 0 {
		n := min(per, len(keys))
		args = args[:0]
		for _, k := range keys[:n] {
			a := ins.Args(k, t.rows[k].val)
			if len(a) != cols {
				return fmt.Errorf("insert into %s: expected %d values per row, Args gave %d", ins.Table, cols, len(a))
			}
			args = append(args, a...)
		}
		q, ok := stmts[n]
		if !ok {
			q = insertStatement(ins.Table, ins.Columns, cols, n)
			stmts[n] = q
		}
		if err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("insert %d rows into %s: %w", n, ins.Table, err)
		}
		keys = keys[n:]
	}
	clear(args)
	return nil
}

// insertStatement is INSERT INTO {table} (columns) VALUES ($1, …), … for
// rows rows of cols values.
func insertStatement(table, columns string, cols, rows int) string {
	var b strings.Builder
	b.Grow(40 + len(columns) + rows*cols*7)
	b.WriteString("INSERT INTO {")
	b.WriteString(table)
	b.WriteString("} (")
	b.WriteString(columns)
	b.WriteString(") VALUES ")
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// compact ends a bulk batch of every table of the unit; see Table.compact.
func (u *Unit) compact() {
	for _, t := range u.tables {
		t.compact()
	}
	u.begin()
}

// insertAll writes the unit's rows once, when its tables were filled in
// memory; see Table.insertAll.
func (u *Unit) insertAll(ctx context.Context, tx *Tx) error {
	for _, t := range u.tables {
		if err := t.insertAll(ctx, tx); err != nil {
			return err
		}
	}
	u.begin()
	return nil
}

// compareUUID orders UUIDs as their canonical text sorts (lowercase hex in
// byte order), the order of the TEXT keys that store them.
func compareUUID(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
