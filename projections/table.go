package projections

import (
	"context"
	"fmt"
)

// TableSpec says how one read-model table's rows are loaded and stored. Row
// values must be plain values (no slices, maps or pointers that are
// mutated), because undoing a failed event restores copies of them.
type TableSpec[K comparable, R any] struct {
	// Load reads the row with key k; found is false when there is none.
	Load func(ctx context.Context, tx *Tx, k K) (r R, found bool, err error)
	// Save upserts the row.
	Save func(ctx context.Context, tx *Tx, k K, r R) error
	// Update writes r over was, the row as the database holds it, when the
	// table knows that (it loaded the row or wrote it since); optional, Save
	// otherwise. A model gives one to leave the indexed columns that did not
	// change out of its statement: SQLite rewrites every index whose columns
	// an UPDATE sets, equal or not, and each rewritten entry is a page
	// written at commit, most often one no other row of the batch shares.
	Update func(ctx context.Context, tx *Tx, k K, was, r R) error
	// Delete removes the row; optional for tables whose rows are never deleted.
	Delete func(ctx context.Context, tx *Tx, k K) error
	// Insert lets a rebuild write the rows it folded in memory into its
	// fresh, empty table with multi-row INSERTs, once per row; optional
	// (without it the rebuild calls Save row by row).
	Insert *InsertSpec[K, R]
}

// Table is a write-behind cache of one read-model table, owned by one model
// instance. Get, Put and Delete work on memory; the Unit flushes the changed
// rows when the batch commits, so an order touched by six events in one batch
// is written once. Every first change of a row within an event is recorded so
// a failing event can be undone without touching the database.
type Table[K comparable, R any] struct {
	u    *Unit
	spec TableSpec[K, R]
	rows map[K]*cached[R]
	// dirty lists the keys changed since the last commit (a key may repeat,
	// or be clean again after an undo).
	dirty []K
	// undo holds the rows as they were before the current event changed them.
	undo []undoEntry[K, R]
	// last is the entry of lastK, the key looked up last: models read a row
	// and then write it back, and one comparison is cheaper than hashing
	// the key again into a map of a few hundred thousand rows. It is
	// cleared wherever an entry leaves rows.
	lastK K
	last  *cached[R]
}

type undoEntry[K comparable, R any] struct {
	k     K
	saved cached[R]
	// forget: a Put of an uncached row made the entry, so what the row
	// was is not known; undoing forgets it and the next access reads it.
	forget bool
}

type cached[R any] struct {
	val    R
	exists bool
	// was is the row as the database holds it, when known is true: it was
	// loaded, or written by a committed batch.
	was    R
	known  bool
	stored bool // the database holds (or, after a Put unread, may hold) the row
	dirty  bool
	seq    uint64 // the event that last recorded an undo entry for this row
}

// NewTable registers a table with the unit.
func NewTable[K comparable, R any](u *Unit, spec TableSpec[K, R]) *Table[K, R] {
	t := &Table[K, R]{u: u, spec: spec, rows: map[K]*cached[R]{}}
	u.tables = append(u.tables, t)
	return t
}

// Get returns the row with key k.
func (t *Table[K, R]) Get(ctx context.Context, tx *Tx, k K) (R, bool, error) {
	c, err := t.entry(ctx, tx, k)
	if err != nil {
		var zero R
		return zero, false, err
	}
	return c.val, c.exists, nil
}

// Put sets the row with key k. It reads nothing: the row is replaced whole
// and Save is an upsert, so whether the database holds one does not matter.
// (Most Puts are of new rows: an order placed, an offer made, a queue
// change; reading each first was a query per row that never found one.)
func (t *Table[K, R]) Put(_ context.Context, _ *Tx, k K, r R) error {
	c := t.cachedEntry(k)
	unread := c == nil && !t.u.authoritative
	if c == nil {
		// stored: the database may hold the row, so a Delete later in the
		// batch still deletes it. (An authoritative unit holds every row.)
		c = t.add(k, &cached[R]{stored: unread})
	}
	n := len(t.undo)
	t.remember(k, c)
	if unread && len(t.undo) > n {
		t.undo[n].forget = true
	}
	t.markDirty(k, c)
	c.val, c.exists = r, true
	return nil
}

// Delete removes the row with key k, if any.
func (t *Table[K, R]) Delete(ctx context.Context, tx *Tx, k K) error {
	if t.spec.Delete == nil {
		return fmt.Errorf("table: delete of key %v: the table does not allow deletes", k)
	}
	c, err := t.entry(ctx, tx, k)
	if err != nil {
		return err
	}
	if !c.exists {
		return nil
	}
	t.remember(k, c)
	t.markDirty(k, c)
	var zero R
	c.val, c.exists = zero, false
	return nil
}

// entry returns the cached row, loading it unless the unit is authoritative
// (the table was created empty by this unit and every row is in memory).
func (t *Table[K, R]) entry(ctx context.Context, tx *Tx, k K) (*cached[R], error) {
	if c := t.cachedEntry(k); c != nil {
		return c, nil
	}
	c := &cached[R]{}
	if !t.u.authoritative {
		v, found, err := t.spec.Load(ctx, tx, k)
		if err != nil {
			return nil, fmt.Errorf("load %v: %w", k, err)
		}
		c.val, c.exists, c.stored = v, found, found
		c.was, c.known = v, found
	}
	return t.add(k, c), nil
}

// cachedEntry returns the cached row of k, or nil.
func (t *Table[K, R]) cachedEntry(k K) *cached[R] {
	if t.last != nil && t.lastK == k {
		return t.last
	}
	c, ok := t.rows[k]
	if ok {
		t.lastK, t.last = k, c
	}
	return c
}

// add caches c as k's row.
func (t *Table[K, R]) add(k K, c *cached[R]) *cached[R] {
	t.rows[k] = c
	t.u.size++
	t.lastK, t.last = k, c
	return c
}

func (t *Table[K, R]) markDirty(k K, c *cached[R]) {
	if !c.dirty {
		c.dirty = true
		t.dirty = append(t.dirty, k)
	}
}

func (t *Table[K, R]) remember(k K, c *cached[R]) {
	if c.seq == t.u.seq {
		return
	}
	c.seq = t.u.seq
	if len(t.undo) == 0 {
		t.u.touched = append(t.u.touched, t)
	}
	t.undo = append(t.undo, undoEntry[K, R]{k: k, saved: *c})
}

// rollback restores the rows the current event changed, newest first.
func (t *Table[K, R]) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		e := t.undo[i]
		c, ok := t.rows[e.k]
		switch {
		case !ok:
		case e.forget:
			// A blind Put made the entry: forget it, as if never cached.
			delete(t.rows, e.k)
			t.u.size--
			if t.last == c {
				t.last = nil
			}
		default:
			*c = e.saved
		}
	}
	t.undo = t.undo[:0]
}

func (t *Table[K, R]) forgetUndo() { t.undo = t.undo[:0] }

func (t *Table[K, R]) flush(ctx context.Context, tx *Tx) error {
	for _, k := range t.dirty {
		c := t.rows[k]
		if c == nil || !c.dirty {
			continue
		}
		var err error
		switch {
		case c.exists && c.known && t.spec.Update != nil:
			err = t.spec.Update(ctx, tx, k, c.was, c.val)
		case c.exists:
			err = t.spec.Save(ctx, tx, k, c.val)
		case c.stored:
			err = t.spec.Delete(ctx, tx, k)
		}
		if err != nil {
			return fmt.Errorf("flush %v: %w", k, err)
		}
	}
	return nil
}

// flushed marks the rows clean after their batch committed. Rows deleted
// are forgotten, so short-lived rows (a queue entry, a pending offer) do not
// accumulate in memory.
func (t *Table[K, R]) flushed() {
	for _, k := range t.dirty {
		c := t.rows[k]
		if c == nil {
			continue
		}
		if c.dirty {
			c.stored = c.exists
			c.dirty = false
			c.was, c.known = c.val, c.exists
		}
		if !c.exists && t.u.authoritative {
			delete(t.rows, k)
			t.u.size--
		}
	}
	t.dirty = t.dirty[:0]
	t.last = nil
}

func (t *Table[K, R]) reset() {
	t.rows = map[K]*cached[R]{}
	t.last = nil
	t.dirty = t.dirty[:0]
	t.undo = t.undo[:0]
}

type flusher interface {
	flush(ctx context.Context, tx *Tx) error
	flushed()
	reset()
	rollback()
	forgetUndo()
	settled(seq uint64) batchWrite
}

// Unit is the unit of work of one model instance: its tables' caches and the
// undo log of the event being applied.
type Unit struct {
	tables  []flusher
	seq     uint64
	touched []flusher // tables with undo entries for the current event
	size    int
	// authoritative: every row of every table is in memory (a rebuild into
	// empty tables), so a miss means "no row" and loads are skipped.
	authoritative bool
	// rebuilding is true while the unit fills fresh tables from the log.
	rebuilding bool
}

// Rebuilding reports whether the model is being rebuilt from the log rather
// than following it live; models skip live-only output such as change feeds.
func (u *Unit) Rebuilding() bool { return u.rebuilding }

// begin starts applying one event.
func (u *Unit) begin() {
	u.seq++
	for _, t := range u.touched {
		t.forgetUndo()
	}
	u.touched = u.touched[:0]
}

// rollbackEvent restores every row the current event changed.
func (u *Unit) rollbackEvent() {
	for _, t := range u.touched {
		t.rollback()
	}
	u.touched = u.touched[:0]
}

func (u *Unit) flush(ctx context.Context, tx *Tx) error {
	for _, t := range u.tables {
		if err := t.flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// committed marks every row clean after the batch committed; it forgets the
// cache when it grew beyond limit rows (0: never).
func (u *Unit) committed(limit int) {
	for _, t := range u.tables {
		t.flushed()
	}
	u.begin()
	if limit > 0 && u.size > limit {
		u.reset()
	}
}

// reset forgets every cached row, after a lost batch or a change of the
// tables underneath; later reads load from the database.
func (u *Unit) reset() {
	for _, t := range u.tables {
		t.reset()
	}
	u.size = 0
	u.begin()
	u.authoritative = false
}
