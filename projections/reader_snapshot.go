package projections

import (
	"context"
	"database/sql"
)

// maxReadStmts bounds how many distinct query texts the readers keep
// prepared; texts beyond it (filter combinations are finite, but a bound
// costs nothing) run unprepared.
const maxReadStmts = 256

// snapshot is a read transaction whose queries are prepared once per
// connection of the reader pool. Preparing a statement (parsing it and
// planning it) cost SQLite more than running the point queries the API
// and its probes issue most: about 7% of the process's CPU at 1k
// commands/s before the reads used it.
//
// A text met for the first time runs unprepared and is prepared after the
// transaction ends (Reader.read calls prepareMissed): preparing on the
// pool while holding one of its connections could wait forever for a
// free one when every connection is held by a reader doing the same.
type snapshot struct {
	tx     *sql.Tx
	v      *Views
	missed *[]string
}

// QueryRowContext runs q, prepared through the views' statement cache.
func (s snapshot) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.tx.QueryRowContext(ctx, q, args...)
}

// QueryContext runs q, prepared through the views' statement cache.
func (s snapshot) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.tx.QueryContext(ctx, q, args...)
}

// stmt returns q bound to the transaction's connection (database/sql reuses
// the statement already prepared on it), or nil when q is not prepared yet:
// the caller then runs it unprepared, which also reports any error of q.
func (s snapshot) stmt(ctx context.Context, q string) *sql.Stmt {
	st := s.v.cachedReadStmt(q)
	if st == nil {
		*s.missed = append(*s.missed, q)
		return nil
	}
	return s.tx.StmtContext(ctx, st)
}

// prepareMissed prepares the texts a finished snapshot ran unprepared, up to
// the cache's bound. Failures are left to the next reader's unprepared run to
// report.
func (v *Views) prepareMissed(ctx context.Context, texts []string) {
	for _, q := range texts {
		if _, err := v.readStmtBounded(ctx, q, maxReadStmts); err != nil {
			return
		}
	}
}
