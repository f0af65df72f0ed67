package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect names the SQL database the read models live in. Projection SQL is
// written once for both: $1-style placeholders (modernc's SQLite binds $N by
// number too), INSERT … ON CONFLICT … DO UPDATE (both speak it), BIGINT,
// TEXT and DOUBLE PRECISION columns, and times as BIGINT Unix milliseconds.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return "unknown"
}

// ViewsFile is the SQLite file of the read models inside the data directory.
const ViewsFile = "views.db"

// ViewsConfig says where the read models live.
type ViewsConfig struct {
	// DSN is a postgres:// (or postgresql://) URL for PostgreSQL, or the path
	// of a SQLite file; one of DSN and DataDir is required.
	DSN string
	// DataDir holds ViewsFile when DSN is empty.
	DataDir string
	// ReadConns caps concurrent read connections; optional, default 8.
	ReadConns int
}

// Validate reports what is missing or out of range.
func (c ViewsConfig) Validate() error {
	var errs []error
	if c.DSN == "" && c.DataDir == "" {
		errs = append(errs, errors.New("views: DSN or DataDir is required"))
	}
	if c.ReadConns < 0 {
		errs = append(errs, fmt.Errorf("views: ReadConns must be at least 0, got %d", c.ReadConns))
	}
	return errors.Join(errs...)
}

// Views is the read-model database: a writer used by projections and rebuilds
// and a pool of readers used by queries. On SQLite the writer is a single
// connection (SQLite has one writer at a time; queueing in the pool is cheaper
// than lock retries) and readers see WAL snapshots without blocking it.
type Views struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	// ckpt checkpoints the SQLite WAL in the background; nil on PostgreSQL.
	ckpt          *sql.DB
	stop, stopped chan struct{}
	closeOnce     sync.Once

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// rstmts are prepared on the reader pool, for batches' reads.
	rstmts map[string]*sql.Stmt
	// group commits the live batches of the projections.
	group commitGroup
}

// OpenViews opens (creating if needed) the read-model database and its core
// tables: projection_checkpoints, projection_migrations and parked_events.
func OpenViews(ctx context.Context, cfg ViewsConfig) (*Views, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ReadConns == 0 {
		cfg.ReadConns = 8
	}
	v := &Views{stmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}}
	v.group.v = v
	var err error
	if strings.HasPrefix(cfg.DSN, "postgres://") || strings.HasPrefix(cfg.DSN, "postgresql://") {
		v.dialect = Postgres
		if v.write, err = sql.Open("pgx", cfg.DSN); err != nil {
			return nil, fmt.Errorf("views: open postgres: %w", err)
		}
		// One pool: each projection holds a connection while its batch is
		// open, readers take the rest.
		v.write.SetMaxOpenConns(cfg.ReadConns + 16)
		v.write.SetMaxIdleConns(cfg.ReadConns + 16)
		v.read = v.write
	} else {
		v.dialect = SQLite
		path := cfg.DSN
		if path == "" {
			if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
				return nil, fmt.Errorf("views: create data dir: %w", err)
			}
			path = filepath.Join(cfg.DataDir, ViewsFile)
		}
		// synchronous(NORMAL) in WAL mode may lose the last commits on power
		// loss but never splits one: a read model and its checkpoint stay
		// consistent, and projections replay what was lost.
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "cache_size(-65536)") // 64 MiB: rebuild batches stay in memory
		// A multi-row upsert keeps a statement journal; past 64 KiB SQLite
		// spills it to a temporary file unless temp_store is MEMORY, which
		// cost a write system call per page under load.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Commits never checkpoint (checkpoints fsync, and would put a disk
		// flush in a projection's latency now and then); a background
		// checkpointer on its own connection does it instead.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Add("_txlock", "immediate")
		if v.write, err = sql.Open("sqlite", "file:"+path+"?"+q.Encode()); err != nil {
			return nil, fmt.Errorf("views: open %s: %w", path, err)
		}
		v.write.SetMaxOpenConns(1)
		v.write.SetMaxIdleConns(1)
		v.write.SetConnMaxLifetime(0)
		r := url.Values{}
		r.Add("_pragma", "busy_timeout(10000)")
		r.Add("_pragma", "query_only(1)")
		if v.read, err = sql.Open("sqlite", "file:"+path+"?"+r.Encode()); err != nil {
			v.write.Close()
			return nil, fmt.Errorf("views: open %s for reading: %w", path, err)
		}
		v.read.SetMaxOpenConns(cfg.ReadConns)
		v.read.SetMaxIdleConns(cfg.ReadConns)
		c := url.Values{}
		c.Add("_pragma", "busy_timeout(10000)")
		if v.ckpt, err = sql.Open("sqlite", "file:"+path+"?"+c.Encode()); err != nil {
			v.write.Close()
			v.read.Close()
			return nil, fmt.Errorf("views: open %s for checkpoints: %w", path, err)
		}
		v.ckpt.SetMaxOpenConns(1)
		v.stop = make(chan struct{})
		v.stopped = make(chan struct{})
		go v.checkpoints(checkpointEvery)
	}
	if err := v.initCore(ctx); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// Dialect says which database the views live in.
func (v *Views) Dialect() Dialect { return v.dialect }

// DB returns the pool queries read from. Callers must not write through it.
func (v *Views) DB() *sql.DB { return v.read }

// checkpointEvery is how often the WAL is copied back into the database.
const checkpointEvery = time.Second

// checkpoints runs PASSIVE checkpoints until Close: they copy what readers
// no longer need from the WAL into the database without blocking the writer.
func (v *Views) checkpoints(every time.Duration) {
	defer close(v.stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-v.stop:
			return
		case <-t.C:
			v.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// Close releases the pools.
func (v *Views) Close() error {
	if v.ckpt != nil {
		v.closeOnce.Do(func() {
			close(v.stop)
			<-v.stopped
			v.ckpt.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
			v.ckpt.Close()
		})
	}
	v.mu.Lock()
	for _, s := range v.stmts {
		s.Close()
	}
	for _, s := range v.rstmts {
		s.Close()
	}
	v.stmts, v.rstmts = map[string]*sql.Stmt{}, map[string]*sql.Stmt{}
	v.mu.Unlock()
	err := v.write.Close()
	if v.read != v.write {
		err = errors.Join(err, v.read.Close())
	}
	return err
}

var coreSchema = []string{
	`CREATE TABLE IF NOT EXISTS projection_checkpoints (
		name       TEXT PRIMARY KEY,
		position   BIGINT NOT NULL,
		updated_at BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS projection_migrations (
		projection TEXT NOT NULL,
		version    BIGINT NOT NULL,
		applied_at BIGINT NOT NULL,
		PRIMARY KEY (projection, version)
	)`,
	`CREATE TABLE IF NOT EXISTS parked_events (
		projection TEXT NOT NULL,
		position   BIGINT NOT NULL,
		event_id   TEXT NOT NULL,
		stream     TEXT NOT NULL,
		type       TEXT NOT NULL,
		error      TEXT NOT NULL,
		parked_at  BIGINT NOT NULL,
		PRIMARY KEY (projection, position)
	)`,
}

func (v *Views) initCore(ctx context.Context) error {
	tx, err := v.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("views: begin: %w", err)
	}
	defer tx.Rollback()
	if v.dialect == Postgres {
		// Several processes may start at once; serialise their CREATEs.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7261746)`); err != nil {
			return fmt.Errorf("views: lock schema: %w", err)
		}
	}
	for _, s := range coreSchema {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("views: create core tables: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("views: commit core tables: %w", err)
	}
	return nil
}

// cached returns the statement prepared on the writer pool for query, if any.
func (v *Views) cached(query string) *sql.Stmt {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stmts[query]
}

// prepareAll prepares queries on the writer pool for later transactions. It
// must run outside any transaction: on SQLite the pool's one connection
// would otherwise be held by the caller itself.
func (v *Views) prepareAll(ctx context.Context, queries []string) {
	for _, q := range queries {
		if v.cached(q) != nil {
			continue
		}
		s, err := v.write.PrepareContext(ctx, q)
		if err != nil {
			continue // the next transaction prepares it locally again
		}
		v.mu.Lock()
		if _, ok := v.stmts[q]; ok {
			s.Close()
		} else {
			v.stmts[q] = s
		}
		v.mu.Unlock()
	}
}

// forget drops prepared statements mentioning table, after it was dropped or
// renamed.
func (v *Views) forget(tables ...string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, m := range []map[string]*sql.Stmt{v.stmts, v.rstmts} {
		for q, s := range m {
			for _, t := range tables {
				if strings.Contains(q, t) {
					s.Close()
					delete(m, q)
					break
				}
			}
		}
	}
}

// begin starts a write transaction.
func (v *Views) begin(ctx context.Context, names *names) (*Tx, error) {
	tx, err := v.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("views: begin: %w", err)
	}
	return &Tx{v: v, tx: tx, names: names}, nil
}

// Tx is a write transaction of a projection. Queries name tables as {name}
// (for example "SELECT … FROM {orders} WHERE order_id = $1"); the Tx
// substitutes the physical table, which differs while a rebuild fills fresh
// tables beside the live ones.
type Tx struct {
	v     *Views
	tx    *sql.Tx
	names *names
	local map[string]*sql.Stmt // prepared in this transaction only
	// missing lists queries not yet prepared on the pool.
	missing []string
}

// Dialect of the database the transaction runs in.
func (t *Tx) Dialect() Dialect { return t.v.dialect }

// Exec runs a statement.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) error {
	if t.tx == nil {
		return fmt.Errorf("%w: %s", errReadOnlyTx, t.names.expand(query))
	}
	s, err := t.prepared(ctx, query)
	if err != nil {
		return err
	}
	if _, err := s.ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("exec %s: %w", t.names.expand(query), err)
	}
	return nil
}

// QueryRow runs a query expected to return at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) (*sql.Row, error) {
	s, err := t.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryRowContext(ctx, args...), nil
}

// Query runs a query.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := t.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

func (t *Tx) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	q := t.names.expand(query)
	if t.tx == nil {
		return t.v.readStmt(ctx, q)
	}
	if s, ok := t.local[q]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if ps := t.v.cached(q); ps != nil {
		s = t.tx.StmtContext(ctx, ps)
	} else {
		var err error
		if s, err = t.tx.PrepareContext(ctx, q); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", q, err)
		}
		t.missing = append(t.missing, q)
	}
	if t.local == nil {
		t.local = map[string]*sql.Stmt{}
	}
	t.local[q] = s
	return s, nil
}

func (t *Tx) commit() error {
	if t.tx == nil {
		return nil
	}
	err := t.tx.Commit()
	t.end()
	return err
}

func (t *Tx) rollback() error {
	if t.tx == nil {
		return nil
	}
	err := t.tx.Rollback()
	t.end()
	return err
}

// end prepares, on the pool, what this transaction had to prepare locally,
// now that its connection is free.
func (t *Tx) end() {
	if len(t.missing) > 0 {
		t.v.prepareAll(context.Background(), t.missing)
		t.missing = nil
	}
	t.local = nil
}

// names maps a projection's logical table names to physical ones and caches
// the expansion of each query text.
type names struct {
	suffix  string
	dialect Dialect
	mu      sync.Mutex
	cache   map[string]string
}

func newNames(suffix string, d Dialect) *names {
	return &names{suffix: suffix, dialect: d, cache: map[string]string{}}
}

// Dialect directives in migrations, expanded per database.
const (
	// WithoutRowID follows a CREATE TABLE whose primary key is not an
	// integer: on SQLite the table is then stored in its key's B-tree
	// instead of beside a separate index (one write per row instead of two).
	WithoutRowID = "{!without_rowid}"
)

// expand replaces every {name} with name+suffix and every dialect
// directive with its text; on SQLite, $1…$N used once each in order become
// plain ? placeholders, which modernc binds without looking up names.
func (n *names) expand(q string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e, ok := n.cache[q]; ok {
		return e
	}
	var b strings.Builder
	rest := q
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		switch tok := rest[i+1 : i+j]; tok {
		case WithoutRowID[1 : len(WithoutRowID)-1]:
			if n.dialect == SQLite {
				b.WriteString(" WITHOUT ROWID")
			}
		default:
			b.WriteString(tok)
			b.WriteString(n.suffix)
		}
		rest = rest[i+j+1:]
	}
	e := b.String()
	if n.dialect == SQLite {
		e = positional(e)
	}
	n.cache[q] = e
	return e
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// positional rewrites $1…$N to ? when they occur exactly once each, in
// order, outside quotes (Paidan's write statements); otherwise it returns q.
func positional(q string) string {
	if strings.ContainsAny(q, "'\"") {
		return q
	}
	locs := placeholder.FindAllStringIndex(q, -1)
	for k, l := range locs {
		if q[l[0]+1:l[1]] != strconv.Itoa(k+1) {
			return q
		}
	}
	return placeholder.ReplaceAllString(q, "?")
}
