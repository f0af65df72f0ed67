package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// errReadOnlyTx: a write through a batch's reading Tx. Models write only
// through their tables' Save and Delete, which run when the batch commits.
var errReadOnlyTx = errors.New("views: write outside a commit (a batch writes its rows when it commits)")

// readTx returns a Tx that reads committed rows through the reader pool and
// refuses writes. A live batch applies its events against it and opens the
// write transaction only to commit: on SQLite there is one writer, and a
// batch that held it while applying would make every other projection wait
// for it (the cause of multi-millisecond lag spikes under load).
//
// Reading committed rows is what the batch needs: every row the batch
// changed is in its cache until the commit, so a row it does not hold is
// unchanged since the last commit. If a rebuild swaps the tables meanwhile,
// the commit sees the checkpoint moved and drops the batch.
func (v *Views) readTx(names *names) *Tx { return &Tx{v: v, names: names} }

// readStmt returns q prepared on the reader pool, preparing it once.
func (v *Views) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	return v.readStmtBounded(ctx, q, 0)
}

// cachedReadStmt returns q if it is prepared on the reader pool, else nil.
func (v *Views) cachedReadStmt(q string) *sql.Stmt {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.rstmts[q]
}

// errStmtCacheFull: the reader pool's statement cache holds its bound.
var errStmtCacheFull = errors.New("views: read statement cache full")

// readStmtBounded is readStmt that refuses, with errStmtCacheFull, to cache
// more than max statements (0: no bound).
func (v *Views) readStmtBounded(ctx context.Context, q string, max int) (*sql.Stmt, error) {
	v.mu.Lock()
	s, full := v.rstmts[q], max > 0 && len(v.rstmts) >= max
	v.mu.Unlock()
	if s != nil {
		return s, nil
	}
	if full {
		return nil, errStmtCacheFull
	}
	s, err := v.read.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare %s: %w", q, err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if old, ok := v.rstmts[q]; ok {
		s.Close()
		return old, nil
	}
	v.rstmts[q] = s
	return s, nil
}
