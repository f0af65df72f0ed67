package projections

import (
	"bytes"
	"context"
	"fmt"
	"math/bits"
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

// batchWrite is one table's share of a batch's settled rows: the new rows,
// inserted, and the rows stored earlier and changed since, upserted or
// deleted. Either may be nil.
type batchWrite struct {
	insert func(ctx context.Context, w rowInserter, d Dialect) error
	update func(ctx context.Context, tx *Tx) error
}

// rowInserter runs one multi-row INSERT built by insertStatement.
type rowInserter interface {
	insertRows(ctx context.Context, query string, args []any) error
}

// insertRows runs a multi-row INSERT in the transaction.
func (t *Tx) insertRows(ctx context.Context, query string, args []any) error {
	return t.Exec(ctx, query, args...)
}

// settled takes, for writing on another goroutine, the changed rows that
// no event changed after seq (all changed rows when seq is 0), and marks
// them clean as if written. A rebuild calls it between batches while the
// unit is authoritative: rows still changing stay in memory, dirty, so an
// order's half-dozen events make one row write, not one per batch. New rows
// go in multi-row INSERTs in key order; a row stored earlier and changed
// since is upserted, or deleted. Rows deleted before they were ever written
// are forgotten; after a delete is taken, a miss means "no row" again.
func (t *Table[K, R]) settled(seq uint64) batchWrite {
	type kv struct {
		k K
		r R
	}
	var news, saves []kv
	var dels []K
	kept := t.dirty[:0]
	for _, k := range t.dirty {
		c := t.rows[k]
		if c == nil || !c.dirty {
			continue
		}
		if seq > 0 && c.seq > seq {
			kept = append(kept, k)
			continue
		}
		switch {
		case c.exists && !c.stored:
			news = append(news, kv{k, c.val})
		case c.exists:
			saves = append(saves, kv{k, c.val})
		case c.stored:
			dels = append(dels, k)
		}
		c.dirty = false
		if c.exists {
			c.stored = true
		} else {
			delete(t.rows, k)
			t.u.size--
		}
	}
	clear(t.dirty[len(kept):])
	t.dirty = kept
	t.last = nil
	var w batchWrite
	if spec := t.spec.Insert; spec == nil {
		saves = append(saves, news...)
	} else if len(news) > 0 {
		w.insert = func(ctx context.Context, ins rowInserter, d Dialect) error {
			// Sort the positions, not the rows: a row is up to a few
			// hundred bytes, which the sort would move again and again.
			order := make([]int32, len(news))
			for i := range order {
				order[i] = int32(i)
			}
			if spec.Compare != nil {
				slices.SortFunc(order, func(a, b int32) int { return spec.Compare(news[a].k, news[b].k) })
			}
			row := func(i int) (K, R) { o := &news[order[i]]; return o.k, o.r }
			return t.insert(ctx, ins, d, len(news), row)
		}
	}
	if len(saves)+len(dels) > 0 {
		w.update = func(ctx context.Context, tx *Tx) error {
			for _, o := range saves {
				if err := t.spec.Save(ctx, tx, o.k, o.r); err != nil {
					return fmt.Errorf("flush %v: %w", o.k, err)
				}
			}
			for _, k := range dels {
				if err := t.spec.Delete(ctx, tx, k); err != nil {
					return fmt.Errorf("flush %v: %w", k, err)
				}
			}
			return nil
		}
	}
	return w
}

// insert writes n new rows, row(0) … row(n-1), with multi-row INSERTs.
func (t *Table[K, R]) insert(ctx context.Context, w rowInserter, d Dialect, n int, row func(int) (K, R)) error {
	ins := t.spec.Insert
	cols := strings.Count(ins.Columns, ",") + 1
	per := max(1, insertParams/cols)
	args := make([]any, 0, min(n, per)*cols)
	stmts := map[int]string{}
	for i := 0; i < n; {
		// A short tail goes in chunks of powers of two rows, so the
		// statements (each prepared once and kept, with thousands of
		// parameters) come from a small fixed set, not one per batch.
		m := per
		if left := n - i; left < per {
			m = 1 << (bits.Len(uint(left)) - 1)
		}
		args = args[:0]
		for j := i; j < i+m; j++ {
			a := ins.Args(row(j))
			if len(a) != cols {
				return fmt.Errorf("insert into %s: expected %d values per row, Args gave %d", ins.Table, cols, len(a))
			}
			args = append(args, a...)
		}
		q, ok := stmts[m]
		if !ok {
			q = insertStatement(d, ins.Table, ins.Columns, cols, m)
			stmts[m] = q
		}
		if err := w.insertRows(ctx, q, args); err != nil {
			return fmt.Errorf("insert %d rows into %s: %w", m, ins.Table, err)
		}
		i += m
	}
	return nil
}

// insertStatement is INSERT INTO {table} (columns) VALUES ($1, …), … for
// rows rows of cols values.
//
// On SQLite it is INSERT OR FAIL: a statement that may abort half-way
// (a plain INSERT of several rows) makes SQLite copy every page it changes
// into a statement journal, a temporary file, to undo just that statement;
// that was a fifth of a rebuild's writing, more once indexes exist. OR FAIL
// stops at a failing row without undoing the statement's earlier rows; the
// rebuild then rolls back the whole transaction anyway.
func insertStatement(d Dialect, table, columns string, cols, rows int) string {
	var b strings.Builder
	b.Grow(40 + len(columns) + rows*cols*7)
	if d == SQLite {
		b.WriteString("INSERT OR FAIL INTO {")
	} else {
		b.WriteString("INSERT INTO {")
	}
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

// settled takes the unit's settled rows; see Table.settled.
func (u *Unit) settled(seq uint64) []batchWrite {
	var out []batchWrite
	for _, t := range u.tables {
		if w := t.settled(seq); w.insert != nil || w.update != nil {
			out = append(out, w)
		}
	}
	u.begin()
	return out
}

// compareUUID orders UUIDs as their canonical text sorts (lowercase hex in
// byte order), the order of the TEXT keys that store them.
func compareUUID(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }
