package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// Progress reports a rebuild's advance.
type Progress struct {
	// Events is how many events were applied so far.
	Events uint64
	// Position and Head are the last applied position and the head the
	// rebuild aims for; Position/Head is the fraction done.
	Position, Head uint64
	// Rate is events per second since the start; ETA the estimate of what is left.
	Rate    float64
	ETA     time.Duration
	Elapsed time.Duration
	// Done is set on the last report, after the swap.
	Done bool
}

// RebuildConfig configures Rebuild.
type RebuildConfig struct {
	// Projections known; required. Rebuild's only argument picks among them.
	Projections []Definition
	// Decode as in PipelineConfig; optional.
	Decode Decoder
	// Progress is called about twice a second and once at the end; optional.
	Progress func(Progress)
	// PageSize is the ReadAll page; optional, default 4096.
	PageSize int
	// BatchEvents is how many events go into one transaction; optional,
	// default 100000.
	BatchEvents int
	// CacheRows bounds the rows kept in memory (roughly 1 KiB each); beyond
	// it the rebuild reads rows back from its tables, slower; optional,
	// default 500,000 (about 2.5 million events of order lifecycles).
	CacheRows int
}

// Validate reports every problem of the configuration.
func (c RebuildConfig) Validate() error {
	var errs []error
	if err := validateDefinitions(c.Projections); err != nil {
		errs = append(errs, err)
	}
	if c.PageSize < 0 || c.BatchEvents < 0 || c.CacheRows < 0 {
		errs = append(errs, errors.New("rebuild: PageSize, BatchEvents and CacheRows must not be negative"))
	}
	return errors.Join(errs...)
}

// RebuildResult summarises a finished rebuild.
type RebuildResult struct {
	Projections []string
	Events      uint64
	Position    uint64
	Parked      int
	Elapsed     time.Duration
}

// Rebuild replays the whole log into fresh tables for the named projections
// (all when none is named) and swaps them for the live tables in one
// transaction, so readers see the old model until the new one is complete.
// It reads ReadAll pages and applies the projections' own code in large
// transactions, without watermill's per-message work. A pipeline running
// meanwhile keeps the old tables current; the swap takes its checkpoint lock,
// applies the last events, and the pipeline continues from the new
// checkpoint. Events a model cannot apply are parked.
func Rebuild(ctx context.Context, store eventstore.Store, v *Views, cfg RebuildConfig, only ...string) (RebuildResult, error) {
	if err := cfg.Validate(); err != nil {
		return RebuildResult{}, err
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 4096
	}
	if cfg.BatchEvents == 0 {
		cfg.BatchEvents = 100_000
	}
	if cfg.CacheRows == 0 {
		cfg.CacheRows = 500_000
	}
	defs, err := selectDefinitions(cfg.Projections, only)
	if err != nil {
		return RebuildResult{}, err
	}
	if err := v.Migrate(ctx, cfg.Projections...); err != nil {
		return RebuildResult{}, fmt.Errorf("rebuild: %w", err)
	}
	rb := &rebuild{store: store, v: v, cfg: cfg, defs: defs, start: time.Now(),
		names: newNames(fmt.Sprintf("__r%d", time.Now().UnixNano()), v.dialect)}
	res, err := rb.run(ctx)
	if err != nil {
		rb.dropFresh()
		return res, fmt.Errorf("rebuild: %w", err)
	}
	return res, nil
}

type rebuild struct {
	store eventstore.Store
	v     *Views
	cfg   RebuildConfig
	defs  []Definition
	names *names
	start time.Time

	models  []Model
	units   []*Unit
	feed    *feed
	indexes []string
	// sqlite writes the fresh tables on SQLite; nil on PostgreSQL.
	sqlite *sqliteWriter
	parked []parkedRow
	events uint64
	pos    eventstore.Position
	head   eventstore.Position
	report time.Time
}

type parkedRow struct {
	projection string
	ev         Event
	err        string
}

func (rb *rebuild) run(ctx context.Context) (RebuildResult, error) {
	if err := rb.createFresh(ctx); err != nil {
		return RebuildResult{}, err
	}
	for _, d := range rb.defs {
		u := &Unit{authoritative: true, rebuilding: true}
		rb.units = append(rb.units, u)
		rb.models = append(rb.models, d.New(u))
	}
	h, err := headOf(ctx, rb.store)
	if err != nil {
		return RebuildResult{}, err
	}
	rb.head = h.Position
	if rb.v.dialect == SQLite {
		rb.sqlite, err = openSQLiteWriter(ctx, rb.v, rb.names)
		if err != nil && !errors.Is(err, errNoFile) {
			return RebuildResult{}, err
		}
		defer rb.closeSQLite()
	}
	rb.feed = rb.startFeed(ctx, rb.pos+1)
	defer func() { rb.feed.stop() }()

	// Bulk: while every row fits in memory the models need no database.
	// Between batches the rows no event of the batch changed are queued for
	// the background writer while the next batches are applied; rows still
	// changing wait, so most rows are written once, with multi-row INSERTs.
	// A unit that outgrows CacheRows forgets its rows once they are written;
	// from there on batches are applied in transactions, reading rows back.
	var bg background
	defer bg.close()
	for {
		limit := rb.batchLimit()
		if rb.allAuthoritative() {
			seqs := make([]uint64, len(rb.units))
			for i, u := range rb.units {
				seqs[i] = u.seq
			}
			n, err := rb.replay(ctx, nil, limit)
			if err != nil {
				return RebuildResult{}, err
			}
			last, over := n < limit, rb.overCache()
			var writes []batchWrite
			for i, u := range rb.units {
				seq := seqs[i]
				if last || over {
					seq = 0
				}
				writes = append(writes, u.settled(seq)...)
			}
			if err := bg.failed(); err != nil {
				return RebuildResult{}, err
			}
			bg.start(func() error { return rb.write(ctx, writes) })
			if over {
				if err := bg.wait(); err != nil {
					return RebuildResult{}, err
				}
				for _, u := range rb.units {
					if u.size > rb.cfg.CacheRows {
						u.reset()
					}
				}
			}
			if last {
				break
			}
			continue
		}
		if err := bg.wait(); err != nil {
			return RebuildResult{}, err
		}
		tx, err := rb.v.begin(ctx, rb.names)
		if err != nil {
			return RebuildResult{}, err
		}
		n, err := rb.replay(ctx, tx, limit)
		if err == nil {
			err = rb.flush(ctx, tx)
		}
		if err == nil {
			err = tx.commit()
		} else {
			tx.rollback()
		}
		if err != nil {
			return RebuildResult{}, err
		}
		rb.committed()
		if n < limit {
			break
		}
	}

	if err := bg.wait(); err != nil {
		return RebuildResult{}, err
	}
	if err := rb.createIndexes(ctx); err != nil {
		return RebuildResult{}, err
	}
	rb.closeSQLite()

	// The events appended since the fold's feed reached the end.
	rb.feed.stop()
	rb.feed = rb.startFeed(ctx, rb.pos+1)

	// Swap: lock the live checkpoints, apply what arrived meanwhile, replace
	// the tables and move the checkpoints, all in one transaction.
	tx, err := rb.v.begin(ctx, rb.names)
	if err != nil {
		return RebuildResult{}, err
	}
	defer tx.rollback()
	for _, d := range rb.defs {
		if _, err := lockCheckpoint(ctx, tx, d.Name); err != nil {
			return RebuildResult{}, err
		}
	}
	if _, err := rb.replay(ctx, tx, -1); err != nil {
		return RebuildResult{}, err
	}
	if err := rb.flush(ctx, tx); err != nil {
		return RebuildResult{}, err
	}
	if err := rb.swap(ctx, tx); err != nil {
		return RebuildResult{}, err
	}
	if err := tx.commit(); err != nil {
		return RebuildResult{}, fmt.Errorf("commit the swap: %w", err)
	}
	rb.v.forget(rb.names.suffix)
	res := RebuildResult{Events: rb.events, Position: uint64(rb.pos), Parked: len(rb.parked), Elapsed: time.Since(rb.start)}
	for _, d := range rb.defs {
		res.Projections = append(res.Projections, d.Name)
	}
	rb.progress(true)
	return res, nil
}

func (rb *rebuild) createFresh(ctx context.Context) error {
	tx, err := rb.v.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, d := range rb.defs {
		idx, err := createTables(ctx, tx, rb.names, d)
		if err != nil {
			return err
		}
		rb.indexes = append(rb.indexes, idx...)
	}
	return tx.Commit()
}

// createIndexes indexes the filled tables, before the swap. It runs alone
// at the end, on one core, but earlier is worse: indexing by the background
// writer once three quarters of the log were folded made every later row
// maintain the indexes, about 0.35 CPU-s more at a million events, and the
// rebuild was no faster on two cores (median of five: 4.39 s against 4.22 s
// here). PRAGMA threads does not help either: the sorter keeps these sorts
// in memory, on one thread.
func (rb *rebuild) createIndexes(ctx context.Context) error {
	if rb.sqlite != nil {
		if err := rb.sqlite.createIndexes(rb.indexes); err != nil {
			return fmt.Errorf("index the rebuilt tables: %w", err)
		}
		return nil
	}
	tx, err := rb.v.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range rb.indexes {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index the rebuilt tables: %w", err)
		}
	}
	return tx.Commit()
}

// closeSQLite closes the rebuild's own SQLite connection, once its writes
// are done (the swap renames the tables its statements name).
func (rb *rebuild) closeSQLite() {
	if rb.sqlite != nil {
		rb.sqlite.close()
		rb.sqlite = nil
	}
}

// dropFresh removes the fresh tables of a failed rebuild.
func (rb *rebuild) dropFresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, d := range rb.defs {
		for _, t := range d.Tables {
			rb.v.write.ExecContext(ctx, `DROP TABLE IF EXISTS `+t+rb.names.suffix)
		}
	}
	rb.v.forget(rb.names.suffix)
}

type decodeError struct{ err error }

func (rb *rebuild) applyAll(ctx context.Context, tx *Tx, ev *Event) {
	if de, ok := ev.Decoded.(decodeError); ok {
		for _, d := range rb.defs {
			rb.parked = append(rb.parked, parkedRow{projection: d.Name, ev: *ev, err: de.err.Error()})
		}
		return
	}
	for i, m := range rb.models {
		u := rb.units[i]
		u.begin()
		if err := m.Apply(ctx, tx, ev); err != nil {
			u.rollbackEvent()
			rb.parked = append(rb.parked, parkedRow{projection: rb.defs[i].Name, ev: *ev,
				err: (&ApplyError{Projection: rb.defs[i].Name, Position: ev.Position, Type: ev.Type, Err: err}).Error()})
		}
	}
}

func (rb *rebuild) flush(ctx context.Context, tx *Tx) error {
	for i, u := range rb.units {
		if err := u.flush(ctx, tx); err != nil {
			return fmt.Errorf("write %s: %w", rb.defs[i].Name, err)
		}
	}
	return nil
}

func (rb *rebuild) allAuthoritative() bool {
	for _, u := range rb.units {
		if !u.authoritative {
			return false
		}
	}
	return true
}

func (rb *rebuild) overCache() bool {
	for _, u := range rb.units {
		if u.size > rb.cfg.CacheRows {
			return true
		}
	}
	return false
}

// write commits a batch's settled rows in one transaction of the views'
// writer; on SQLite the new rows go first, in a transaction of the
// rebuild's own connection (see sqliteWriter), committed before the rows
// stored earlier are upserted through the views' writer, so that neither
// waits for the lock the other holds.
func (rb *rebuild) write(ctx context.Context, writes []batchWrite) error {
	if w := rb.sqlite; w != nil {
		if err := rb.insertRaw(ctx, w, writes); err != nil {
			return err
		}
	}
	var tx *Tx
	for _, bw := range writes {
		if (bw.insert == nil || rb.sqlite != nil) && bw.update == nil {
			continue
		}
		if tx == nil {
			var err error
			if tx, err = rb.v.begin(ctx, rb.names); err != nil {
				return err
			}
		}
		var err error
		if bw.insert != nil && rb.sqlite == nil {
			err = bw.insert(ctx, tx, tx.Dialect())
		}
		if err == nil && bw.update != nil {
			err = bw.update(ctx, tx)
		}
		if err != nil {
			tx.rollback()
			return err
		}
	}
	if tx == nil {
		return nil
	}
	if err := tx.commit(); err != nil {
		return fmt.Errorf("commit a rebuild batch: %w", err)
	}
	return nil
}

// insertRaw inserts the batch's new rows in one transaction of w.
func (rb *rebuild) insertRaw(ctx context.Context, w *sqliteWriter, writes []batchWrite) error {
	began := false
	for _, bw := range writes {
		if bw.insert == nil {
			continue
		}
		if !began {
			if err := w.begin(); err != nil {
				return err
			}
			began = true
		}
		if err := bw.insert(ctx, w, SQLite); err != nil {
			w.rollback()
			return err
		}
	}
	if !began {
		return nil
	}
	if err := w.commit(); err != nil {
		w.rollback()
		return fmt.Errorf("commit a rebuild batch: %w", err)
	}
	return nil
}

// committed marks the units clean; past CacheRows they forget their rows and
// read them back from the fresh tables from then on.
func (rb *rebuild) committed() {
	for _, u := range rb.units {
		u.committed(0)
		if u.size > rb.cfg.CacheRows {
			u.reset()
		}
	}
}

func (rb *rebuild) swap(ctx context.Context, tx *Tx) error {
	now := time.Now().UnixMilli()
	for _, d := range rb.defs {
		for _, t := range d.Tables {
			if err := rawExec(ctx, tx, `DROP TABLE IF EXISTS `+t); err != nil {
				return err
			}
			if err := rawExec(ctx, tx, `ALTER TABLE `+t+rb.names.suffix+` RENAME TO `+t); err != nil {
				return err
			}
		}
		if err := saveCheckpoint(ctx, tx, d.Name, uint64(rb.pos)); err != nil {
			return err
		}
		if err := rawExec(ctx, tx, `DELETE FROM parked_events WHERE projection = $1`, d.Name); err != nil {
			return err
		}
		if err := rawExec(ctx, tx, `DELETE FROM projection_migrations WHERE projection = $1`, d.Name); err != nil {
			return err
		}
		for _, m := range d.Migrations {
			if err := rawExec(ctx, tx, `INSERT INTO projection_migrations (projection, version, applied_at) VALUES ($1, $2, $3)`,
				d.Name, m.Version, now); err != nil {
				return err
			}
		}
	}
	for _, p := range rb.parked {
		if err := rawExec(ctx, tx, `INSERT INTO parked_events (projection, position, event_id, stream, type, error, parked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (projection, position) DO NOTHING`,
			p.projection, int64(p.ev.Position), p.ev.ID.String(), p.ev.StreamID, p.ev.Type, p.err, now); err != nil {
			return err
		}
	}
	return nil
}

// rawExec runs DDL and one-off statements without preparing them.
func rawExec(ctx context.Context, tx *Tx, q string, args ...any) error {
	if _, err := tx.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("%s: %w", strings.SplitN(q, "\n", 2)[0], err)
	}
	return nil
}

func (rb *rebuild) progress(done bool) {
	if rb.cfg.Progress == nil {
		return
	}
	now := time.Now()
	if !done && now.Sub(rb.report) < 500*time.Millisecond {
		return
	}
	rb.report = now
	el := now.Sub(rb.start)
	p := Progress{Events: rb.events, Position: uint64(rb.pos), Head: uint64(max(rb.head, rb.pos)), Elapsed: el, Done: done}
	if s := el.Seconds(); s > 0 {
		p.Rate = float64(rb.events) / s
	}
	if p.Position > 0 && p.Head > p.Position {
		p.ETA = time.Duration(float64(el) * float64(p.Head-p.Position) / float64(p.Position))
	}
	rb.cfg.Progress(p)
}

// Rebuild rebuilds the pipeline's projections (all when none is named) while
// it runs; see the package-level Rebuild.
//
// Once the swap committed, the rebuilt projections' runners drop what they
// hold (an open batch, cached rows of the old tables, the position they had
// committed) and follow the log from the new checkpoint at once, rather
// than when a commit of theirs finds the checkpoint moved: the log may be
// quiet, and with no commit to come they would not move again.
func (p *Pipeline) Rebuild(ctx context.Context, progress func(Progress), only ...string) (RebuildResult, error) {
	res, err := Rebuild(ctx, p.store, p.views, RebuildConfig{
		Projections: slices.Clone(p.cfg.Projections), Decode: p.cfg.Decode, Progress: progress,
	}, only...)
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	if err == nil && running {
		for _, name := range res.Projections {
			if r, ok := p.runners[name]; ok {
				r.rebased(ctx)
			}
		}
	}
	return res, err
}
