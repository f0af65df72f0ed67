package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// writer owns the one write connection. Only its goroutine touches its fields
// after Open.
type writer struct {
	s    *Store
	ctx  context.Context
	conn *sql.Conn

	inserts    map[int]*sql.Stmt // INSERT of n rows, by n
	args       []any
	head       *sql.Stmt
	idInStream *sql.Stmt
	idsFrom    *sql.Stmt

	maxEvents int
	maxHeads  int
	// heads caches the committed head of recently used streams; overlay holds
	// the heads the current batch has written, which win over heads.
	heads   map[string]streamHead
	overlay map[string]streamHead

	committed eventstore.Position // last committed position
	next      eventstore.Position // next position to assign in the open transaction

	batch []*appendRequest
	// published holds the events the open transaction writes, in position
	// order; those from flushed on are not inserted yet. Rows are inserted
	// many per statement, before any query that must see them and before
	// COMMIT.
	published []eventstore.RecordedEvent
	flushed   int
	created   int64 // the batch's commit time, UnixNano
	// singleRows inserts every append's rows at once, so that an insert
	// failure names its request; set while a batch is retried after one.
	singleRows bool

	// beforeBatch, when set (by tests, before the first append), runs after
	// the writer has taken the first request of a batch and before it drains
	// the rest.
	beforeBatch func()
}

// streamHead is a stream's state: the revision its next event gets and the
// position of its last event (0 when it has none).
type streamHead struct {
	next uint64
	last eventstore.Position
}

func newWriter(ctx context.Context, conn *sql.Conn, s *Store) (*writer, error) {
	w := &writer{
		s:         s,
		ctx:       ctx,
		conn:      conn,
		maxEvents: s.cfg.MaxBatchEvents,
		maxHeads:  s.cfg.HeadCacheStreams,
		inserts:   make(map[int]*sql.Stmt),
		heads:     make(map[string]streamHead),
		overlay:   make(map[string]streamHead),
	}
	var last sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(position) FROM events").Scan(&last); err != nil {
		return nil, fmt.Errorf("read the head of the log: %w", err)
	}
	w.committed = eventstore.Position(last.Int64)
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&w.head, "SELECT revision, position FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1"},
		{&w.idInStream, "SELECT revision, position FROM events WHERE event_id = ? AND stream = ? ORDER BY position DESC LIMIT 1"},
		{&w.idsFrom, "SELECT event_id, position FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?"},
	} {
		stmt, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.stmt = stmt
	}
	return w, nil
}

func (w *writer) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.head, w.idInStream, w.idsFrom} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, st := range w.inserts {
		errs = append(errs, st.Close())
	}
	errs = append(errs, w.conn.Close())
	return errors.Join(errs...)
}

// run serves the queue until it is closed and drained.
func (w *writer) run(queue <-chan *appendRequest, done chan<- struct{}) {
	defer close(done)
	for {
		req, ok := <-queue
		if !ok {
			return
		}
		if w.beforeBatch != nil {
			w.beforeBatch()
		}
		w.batch = append(w.batch[:0], req)
		n := len(req.events)
	drain:
		for n < w.maxEvents {
			select {
			case r, ok := <-queue:
				if !ok {
					break drain
				}
				w.batch = append(w.batch, r)
				n += len(r.events)
			default:
				break drain
			}
		}
		w.commitBatch(w.batch)
		clear(w.batch)
	}
}

// commitBatch decides, writes and commits one batch and answers every request
// in it.
func (w *writer) commitBatch(batch []*appendRequest) {
	now := time.Now().UTC()
	for _, r := range batch {
		r.settled = false
		r.outcome = appendOutcome{}
		if err := r.ctx.Err(); err != nil {
			r.outcome.err = fmt.Errorf("append to %q abandoned before it was written: %w", r.stream, err)
			r.settled = true
		}
	}
	for {
		culprit, err := w.tryBatch(batch, now)
		if err == nil {
			break
		}
		if errors.Is(err, errRowInsert) && !w.singleRows {
			// Rows of several appends failed together: find out whose.
			w.singleRows = true
			continue
		}
		if culprit != nil {
			// Only this request failed; the others are decided again in a
			// fresh transaction, as if it had never been queued. An insert
			// that should not have failed means the file and the cache
			// disagree (another program wrote to it?): trust the file.
			culprit.outcome.err = fmt.Errorf("append to %q: %w", culprit.stream, err)
			culprit.settled = true
			w.heads = make(map[string]streamHead)
			w.reloadCommitted()
			continue
		}
		// The batch as a whole failed (begin or commit): nothing of it is
		// known to be stored, and the cached heads may have been read inside
		// the failed transaction.
		w.heads = make(map[string]streamHead)
		w.reloadCommitted()
		for _, r := range batch {
			if !r.settled {
				r.outcome = appendOutcome{err: fmt.Errorf("append to %q: %w", r.stream, err)}
			}
		}
		break
	}
	w.singleRows = false
	for _, r := range batch {
		r.done <- r.outcome
	}
}

// tryBatch runs one transaction over the unsettled requests of batch. It
// returns the request that caused an unexpected error (the transaction is
// then rolled back), or nil and an error when the transaction failed as a
// whole.
func (w *writer) tryBatch(batch []*appendRequest, now time.Time) (*appendRequest, error) {
	w.next = w.committed + 1
	clear(w.overlay)
	w.published, w.flushed = w.published[:0], 0
	w.created = now.UnixNano()
	if _, err := w.conn.ExecContext(w.ctx, "BEGIN IMMEDIATE"); err != nil {
		// A transaction left open by a failed ROLLBACK would refuse every
		// later BEGIN: end it and try once more.
		w.rollback()
		if _, err := w.conn.ExecContext(w.ctx, "BEGIN IMMEDIATE"); err != nil {
			return nil, fmt.Errorf("begin transaction: %w", err)
		}
	}
	appends := 0
	for _, r := range batch {
		if r.settled {
			continue
		}
		out, err := w.apply(r)
		if err != nil {
			w.rollback()
			return r, err
		}
		r.outcome = out
		if out.err == nil {
			appends++
		}
	}
	if len(w.published) == 0 {
		// Nothing written: the reads inside the transaction decided every
		// request, and there is nothing to make durable.
		w.rollback()
		w.s.appends.Add(uint64(appends))
		return nil, nil
	}
	if err := w.flush(); err != nil {
		w.rollback()
		return nil, err
	}
	if _, err := w.conn.ExecContext(w.ctx, "COMMIT"); err != nil {
		w.rollback()
		return nil, fmt.Errorf("commit %d events: %w", len(w.published), err)
	}
	w.committed = w.next - 1
	for stream, h := range w.overlay {
		w.heads[stream] = h
	}
	w.evictHeads()
	w.s.commits.Add(1)
	w.s.appends.Add(uint64(appends))
	w.s.events.Add(uint64(len(w.published)))
	w.s.pub.publish(w.published)
	clear(w.published) // drop references to event data held by the ring
	return nil, nil
}

// reloadCommitted rereads the head of the log after a failed commit, whose
// outcome SQLite does not always make certain.
func (w *writer) reloadCommitted() {
	var last sql.NullInt64
	if err := w.conn.QueryRowContext(w.ctx, "SELECT MAX(position) FROM events").Scan(&last); err == nil {
		w.committed = eventstore.Position(last.Int64)
	}
}

// rollback ends the open transaction. Its error is ignored: after an INSERT
// OR ROLLBACK there is no transaction left to end, and a transaction that
// really stayed open is ended before the next BEGIN.
func (w *writer) rollback() {
	_, _ = w.conn.ExecContext(w.ctx, "ROLLBACK")
}

// evictHeads keeps the cache bounded by forgetting arbitrary streams (map
// iteration order); a forgotten head is reloaded from the file when needed.
func (w *writer) evictHeads() {
	if len(w.heads) <= w.maxHeads {
		return
	}
	target := w.maxHeads - w.maxHeads/8
	for stream := range w.heads {
		if len(w.heads) <= target {
			break
		}
		delete(w.heads, stream)
	}
}

// headOf returns the stream's head as this transaction sees it.
func (w *writer) headOf(stream string) (streamHead, error) {
	if h, ok := w.overlay[stream]; ok {
		return h, nil
	}
	if h, ok := w.heads[stream]; ok {
		return h, nil
	}
	var rev, pos int64
	err := w.head.QueryRowContext(w.ctx, stream).Scan(&rev, &pos)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		h := streamHead{}
		w.heads[stream] = h
		return h, nil
	case err != nil:
		return streamHead{}, fmt.Errorf("read the head of stream %q: %w", stream, err)
	}
	h := streamHead{next: uint64(rev) + 1, last: eventstore.Position(pos)}
	w.heads[stream] = h
	return h, nil
}

// apply decides one request (see IdempotencyRules in the package doc) and
// writes its events when it passes. A wrong expectation is an outcome; only
// unexpected failures are returned as errors.
func (w *writer) apply(r *appendRequest) (appendOutcome, error) {
	h, err := w.headOf(r.stream)
	if err != nil {
		return appendOutcome{}, err
	}
	wrong := func() (appendOutcome, error) {
		return appendOutcome{err: &eventstore.WrongExpectedRevisionError{
			Stream:   r.stream,
			Expected: r.expected,
			Actual:   eventstore.ExpectNext(h.next),
		}}, nil
	}
	state := appendOutcome{res: eventstore.AppendResult{NextRevision: h.next, Position: h.last}}

	if r.expected.IsAny() || r.expected.IsStreamExists() {
		if r.expected.IsStreamExists() && h.next == 0 {
			return wrong()
		}
		if len(r.events) == 0 {
			return state, nil
		}
		if !r.fresh && h.next > 0 {
			known, res, err := w.knownIDs(r)
			if err != nil {
				return appendOutcome{}, err
			}
			switch known {
			case idsAllKnown:
				return appendOutcome{res: res}, nil
			case idsPartlyKnown:
				return wrong()
			}
		}
		return w.write(r, h)
	}

	// NoStream and Exact, compared as last revisions with -1 for no stream.
	cur := int64(h.next) - 1
	exp := int64(-1)
	if rev, ok := r.expected.Revision(); ok {
		if rev > math.MaxInt64-1 {
			return wrong()
		}
		exp = int64(rev)
	}
	switch {
	case exp == cur:
		if len(r.events) == 0 {
			return state, nil
		}
		return w.write(r, h)
	case exp > cur || len(r.events) == 0:
		return wrong()
	}
	res, ok, err := w.matchStored(r, uint64(exp+1))
	if err != nil {
		return appendOutcome{}, err
	}
	if !ok {
		return wrong()
	}
	return appendOutcome{res: res}, nil
}

type idsKnown int

const (
	idsFirstUnknown idsKnown = iota
	idsAllKnown
	idsPartlyKnown
)

// knownIDs looks the request's IDs up among the stream's stored events (this
// transaction's included): the idempotency rule of Any and StreamExists.
func (w *writer) knownIDs(r *appendRequest) (idsKnown, eventstore.AppendResult, error) {
	var res eventstore.AppendResult
	if err := w.flush(); err != nil {
		return 0, res, err
	}
	for i := range r.events {
		var rev, pos int64
		err := w.idInStream.QueryRowContext(w.ctx, r.events[i].ID[:], r.stream).Scan(&rev, &pos)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if i == 0 {
				return idsFirstUnknown, res, nil
			}
			return idsPartlyKnown, res, nil
		case err != nil:
			return 0, res, fmt.Errorf("look up event ID in stream %q: %w", r.stream, err)
		}
		res = eventstore.AppendResult{NextRevision: uint64(rev) + 1, Position: eventstore.Position(pos)}
	}
	return idsAllKnown, res, nil
}

// matchStored reports whether the stored events from revision from on carry
// the request's IDs in order: the idempotency rule of an expectation behind
// the stream's head.
func (w *writer) matchStored(r *appendRequest, from uint64) (eventstore.AppendResult, bool, error) {
	if err := w.flush(); err != nil {
		return eventstore.AppendResult{}, false, err
	}
	rows, err := w.idsFrom.QueryContext(w.ctx, r.stream, int64(from), len(r.events))
	if err != nil {
		return eventstore.AppendResult{}, false, fmt.Errorf("read stored IDs of stream %q: %w", r.stream, err)
	}
	defer rows.Close()
	n := 0
	var pos int64
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id, &pos); err != nil {
			return eventstore.AppendResult{}, false, fmt.Errorf("read stored IDs of stream %q: %w", r.stream, err)
		}
		if string(id) != string(r.events[n].ID[:]) {
			return eventstore.AppendResult{}, false, nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return eventstore.AppendResult{}, false, fmt.Errorf("read stored IDs of stream %q: %w", r.stream, err)
	}
	if n < len(r.events) {
		return eventstore.AppendResult{}, false, nil
	}
	return eventstore.AppendResult{NextRevision: from + uint64(n), Position: eventstore.Position(pos)}, true, nil
}

// write adds the request's events after the stream's head h to the rows of
// the transaction.
func (w *writer) write(r *appendRequest, h streamHead) (appendOutcome, error) {
	rev := h.next
	created := time.Unix(0, w.created).UTC()
	for i := range r.events {
		ev := &r.events[i]
		w.published = append(w.published, eventstore.RecordedEvent{
			StreamID: r.stream,
			Revision: rev,
			Position: w.next,
			ID:       ev.ID,
			Type:     ev.Type,
			Data:     ev.Data,
			Metadata: ev.Metadata,
			Created:  created,
		})
		w.next++
		rev++
	}
	if w.singleRows {
		if err := w.flush(); err != nil {
			return appendOutcome{}, err
		}
	}
	h = streamHead{next: rev, last: w.next - 1}
	w.overlay[r.stream] = h
	return appendOutcome{res: eventstore.AppendResult{NextRevision: h.next, Position: h.last, Wrote: true}}, nil
}

// errRowInsert marks a failed INSERT of pending rows.
var errRowInsert = errors.New("insert events")

// insertChunk is the most rows one INSERT statement carries: enough to make
// the per-statement cost small, few enough to keep the statements cached.
const insertChunk = 32

// flush inserts the pending rows.
func (w *writer) flush() error {
	rows := w.published[w.flushed:]
	for len(rows) > 0 {
		n := min(len(rows), insertChunk)
		stmt, err := w.insertStmt(n)
		if err != nil {
			return err
		}
		args := w.args[:0]
		for i := range rows[:n] {
			ev := &rows[i]
			args = append(args, int64(ev.Position), ev.StreamID, int64(ev.Revision), ev.ID[:], ev.Type, ev.Data, ev.Metadata, w.created)
		}
		_, err = stmt.ExecContext(w.ctx, args...)
		clear(args)
		w.args = args[:0]
		if err != nil {
			return fmt.Errorf("%w at positions %d to %d: %w", errRowInsert, rows[0].Position, rows[n-1].Position, err)
		}
		rows = rows[n:]
		w.flushed += n
	}
	return nil
}

// insertStmt returns the prepared INSERT of n rows.
func (w *writer) insertStmt(n int) (*sql.Stmt, error) {
	if st, ok := w.inserts[n]; ok {
		return st, nil
	}
	var b strings.Builder
	if n == 1 {
		b.WriteString(InsertSQL)
	} else {
		// OR ROLLBACK spares SQLite the statement journal a multi-row
		// statement otherwise keeps to undo itself alone; a constraint failure
		// (a bug) then ends the transaction, and the batch is retried row by
		// row.
		b.WriteString(strings.Replace(InsertSQL, "INSERT INTO", "INSERT OR ROLLBACK INTO", 1))
	}
	for range n - 1 {
		b.WriteString(", (?, ?, ?, ?, ?, ?, ?, ?)")
	}
	st, err := w.conn.PrepareContext(w.ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("%w: prepare an insert of %d rows: %w", errRowInsert, n, err)
	}
	w.inserts[n] = st
	return st, nil
}
