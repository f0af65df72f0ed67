package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/paidan/paidan/eventstore"
)

// errBatchLost: a batch could not be committed and was rolled back. The
// handler returns it so the message is nacked and the Source redelivers from
// the committed checkpoint; it is never retried in place nor parked.
var errBatchLost = errors.New("projection batch lost; resuming from the committed checkpoint")

// ApplyError is an event a projection failed to apply. After the retries it
// is parked.
type ApplyError struct {
	Projection string
	Position   eventstore.Position
	Type       string
	Err        error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("projection %s: apply %s at position %d: %v", e.Projection, e.Type, e.Position, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

type batchConfig struct {
	size      int
	interval  time.Duration
	linger    time.Duration
	cacheRows int
}

// runner follows the log for one projection: it applies events to the
// model's cached tables inside an open transaction and commits the rows with
// the checkpoint when the batch is full, nothing more is buffered, the source
// caught up, or the batch is older than the interval. All its methods except
// the read-side ones (position, wait) run on the handler's goroutine, one
// message at a time (the Source delivers the next only after an ack).
type runner struct {
	def     Definition
	views   *Views
	names   *names
	unit    *Unit
	model   Model
	decode  Decoder
	cfg     batchConfig
	metrics *metrics
	ctx     context.Context // for transactions: outlives every message
	fail    func(projection string, p FailPoint) error

	// work serialises the handler with the batch timer; it guards every
	// field down to mu.
	work sync.Mutex
	// tx is the open batch's reading Tx (nil: no batch is open). The batch
	// takes the write transaction only to commit.
	tx      *Tx
	pending eventstore.Position // applied in the open batch (== committed when none)
	parked  []parkedRow         // events the open batch parks
	// rewind: a batch was lost outside a handler call (the timer's commit
	// failed); the next message is refused so the source redelivers from
	// the committed checkpoint.
	rewind bool
	// rewindSource asks the source to redeliver from the committed
	// checkpoint at once: after a timed commit failed no message may come
	// to be refused (the log may be quiet), and the lost events would wait
	// for the next append. Set by the Pipeline under work; nil until then.
	rewindSource func()
	count        int
	batchStart   time.Time
	lingering    bool // a linger commit is requested for the open batch
	lingerReq    chan struct{}
	lastEvent    time.Time
	// created are the store's commit times of the open batch's live
	// events, observed into the event-lag histogram when it commits.
	created []time.Time

	mu        sync.Mutex
	committed eventstore.Position
	advanced  chan struct{} // closed and replaced whenever committed advances
	caughtUp  atomic.Bool
	head      atomic.Uint64 // the highest position delivered to this runner
	lagNanos  atomic.Int64  // store commit → read-model commit of the last batch
}

// lag is the distance of a reader at pos from the head this runner has seen.
func (r *runner) lag(pos eventstore.Position) (uint64, float64) {
	h := eventstore.Position(r.head.Load())
	if h <= pos {
		return 0, 0
	}
	return uint64(h - pos), time.Duration(r.lagNanos.Load()).Seconds()
}

func newRunner(def Definition, v *Views, decode Decoder, cfg batchConfig, m *metrics) *runner {
	u := &Unit{}
	return &runner{
		def: def, views: v, names: newNames("", v.dialect), unit: u, model: def.New(u),
		decode: decode, cfg: cfg, metrics: m, advanced: make(chan struct{}), lingerReq: make(chan struct{}, 1),
	}
}

func (r *runner) position() eventstore.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.committed
}

// wait blocks until the committed position reaches pos.
func (r *runner) wait(ctx context.Context, pos eventstore.Position) error {
	for {
		r.mu.Lock()
		done, ch := r.committed >= pos, r.advanced
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to reach position %d: %w", r.def.Name, pos, ctx.Err())
		}
	}
}

func (r *runner) setCommitted(p eventstore.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p != r.committed {
		r.committed = p
		close(r.advanced)
		r.advanced = make(chan struct{})
	}
	r.metrics.position.WithLabelValues(r.def.Name).Set(float64(p))
}

// handle is the watermill handler of the projection.
func (r *runner) handle(msg *message.Message) error {
	r.work.Lock()
	defer r.work.Unlock()
	if r.rewind {
		r.rewind = false
		return fmt.Errorf("%w: %s: a timed commit failed", errBatchLost, r.def.Name)
	}
	switch msg.Metadata.Get(KeyKind) {
	case KindCaughtUp:
		if err := r.flush(); err != nil {
			return err
		}
		r.caughtUp.Store(true)
		return nil
	case KindCheckpoint:
		pos, err := MessagePosition(msg)
		if err != nil {
			return err
		}
		if err := r.ensureBatch(); err != nil {
			return err
		}
		if pos > r.pending {
			r.pending = pos
		}
		return r.maybeFlush(msg)
	case KindEvent:
		ev, err := EventFromMessage(msg)
		if err != nil {
			return &ApplyError{Projection: r.def.Name, Type: msg.Metadata.Get(KeyType), Err: err}
		}
		if uint64(ev.Position) > r.head.Load() {
			r.head.Store(uint64(ev.Position))
		}
		if err := r.ensureBatch(); err != nil {
			return err
		}
		if ev.Position <= r.pending {
			return r.maybeFlush(msg) // redelivered: already applied
		}
		if err := r.apply(&ev); err != nil {
			// Commit what came before so retries and parking do not hold
			// the writer; the failed event left no trace in the cache.
			if ferr := r.flush(); ferr != nil {
				return ferr
			}
			return &ApplyError{Projection: r.def.Name, Position: ev.Position, Type: ev.Type, Err: err}
		}
		r.metrics.events.WithLabelValues(r.def.Name).Inc()
		return r.maybeFlush(msg)
	default:
		return &ApplyError{Projection: r.def.Name, Err: fmt.Errorf("message %s has kind %q, expected %q, %q or %q",
			msg.UUID, msg.Metadata.Get(KeyKind), KindEvent, KindCheckpoint, KindCaughtUp)}
	}
}

// apply runs the model on one event, undoing its cache changes on failure.
func (r *runner) apply(ev *Event) error {
	if r.decode != nil {
		d, err := r.decode(ev)
		if err != nil {
			return err
		}
		ev.Decoded = d
	}
	r.unit.begin()
	if err := r.model.Apply(r.ctx, r.tx, ev); err != nil {
		r.unit.rollbackEvent()
		return err
	}
	r.pending = ev.Position
	r.lastEvent = ev.Created
	r.count++
	if r.caughtUp.Load() {
		r.created = append(r.created, ev.Created)
	}
	return nil
}

// park records an event that kept failing and moves past it, in the batch
// transaction, so the parking and the checkpoint commit together.
func (r *runner) park(msg *message.Message, reason string) error {
	r.work.Lock()
	defer r.work.Unlock()
	ev, err := EventFromMessage(msg)
	if err != nil {
		return fmt.Errorf("park: %w", err)
	}
	if err := r.ensureBatch(); err != nil {
		return err
	}
	if ev.Position <= r.pending {
		return r.maybeFlush(msg)
	}
	r.parked = append(r.parked, parkedRow{projection: r.def.Name, ev: ev, err: reason})
	r.pending = ev.Position
	r.count++
	r.metrics.parked.WithLabelValues(r.def.Name).Inc()
	// Parking is rare: commit it at once so it is visible and durable.
	return r.flush()
}

// ensureBatch opens a batch if none is open. Opening takes no lock: the
// batch reads committed rows and writes only when it commits (see readTx).
func (r *runner) ensureBatch() error {
	if r.tx != nil {
		return nil
	}
	r.tx, r.count, r.batchStart = r.views.readTx(r.names), 0, time.Now()
	r.lingering = false
	r.pending = r.position()
	return nil
}

func (r *runner) maybeFlush(msg *message.Message) error {
	if r.tx == nil {
		return nil
	}
	age := time.Since(r.batchStart)
	switch {
	case r.count >= r.cfg.size || age >= r.cfg.interval:
		return r.flush()
	case messageBuffered(msg) > 0:
		return nil
	case age >= r.cfg.linger:
		return r.flush()
	}
	r.linger()
	return nil
}

// linger asks the timer goroutine to commit the open batch once it is
// LiveLinger old: a live batch waits a little for the next events, so a busy
// log costs one commit per projection per linger instead of one per event.
// The timer goroutine is long-lived, so the commit does not run on a fresh
// goroutine whose stack must first grow to SQLite's depth.
func (r *runner) linger() {
	if r.lingering {
		return
	}
	r.lingering = true
	select {
	case r.lingerReq <- struct{}{}:
	default: // a request is pending: the timer looks at the open batch anyway
	}
}

// lingerDue commits the open batch if it asked to linger and is old enough;
// otherwise it says when to look again (ok false: nothing to wait for).
func (r *runner) lingerDue() (due time.Time, ok bool) {
	r.work.Lock()
	defer r.work.Unlock()
	if r.tx == nil || !r.lingering {
		return time.Time{}, false
	}
	// Due on a grid of linger, not linger after the batch opened: the
	// batches the same events opened in every projection then fall due at
	// the same instant and share one group commit. Measured at 1k commands/s
	// (bench e2e --duration 3s --warmup 1s --lag-duration 30s, three paired
	// runs): lag p99 24-32 -> 17-25 ms, p50 unchanged. A lone event waits up
	// to one more linger: at 200 commands/s p50 rose from ~3.5 to ~4.5 ms.
	due = r.batchStart.Add(r.cfg.linger)
	if g := due.Truncate(r.cfg.linger); g.Before(due) {
		due = g.Add(r.cfg.linger)
	}
	if time.Now().Before(due) {
		return due, true
	}
	if err := r.flush(); err != nil {
		r.lost()
	}
	return time.Time{}, false
}

// flushDue commits the open batch if it is older than the batch interval:
// a batch must not stay open, holding the writer (SQLite's one connection),
// because no further message came (the source stopped, or is resubscribing).
func (r *runner) flushDue() {
	r.work.Lock()
	defer r.work.Unlock()
	if r.tx == nil || time.Since(r.batchStart) < r.cfg.interval {
		return
	}
	if err := r.flush(); err != nil {
		r.lost()
	}
}

// lost handles a batch lost outside a handler call: the next message is
// refused, and the source is asked to redeliver even if none comes.
func (r *runner) lost() {
	r.rewind = true
	if r.rewindSource != nil {
		r.rewindSource()
	}
}

// rebased follows a rebuild that swapped the projection's tables: the open
// batch and the cached rows belong to the old tables, and the projection
// now stands at the checkpoint the rebuild wrote.
func (r *runner) rebased(ctx context.Context) {
	r.work.Lock()
	defer r.work.Unlock()
	cp, err := r.views.Checkpoint(ctx, r.def.Name)
	if err == nil {
		r.drop(eventstore.Position(cp))
		r.setCommitted(eventstore.Position(cp))
	}
	// Without the checkpoint the next commit finds it moved; either way
	// the source redelivers from it.
	r.lost()
}

// flushNow commits the open batch, outside a handler call.
func (r *runner) flushNow() error {
	r.work.Lock()
	defer r.work.Unlock()
	return r.flush()
}

// timer runs flushDue, and the commits lingering batches asked for, until
// ctx ends.
func (r *runner) timer(ctx context.Context) {
	t := time.NewTicker(max(r.cfg.interval/2, time.Millisecond))
	defer t.Stop()
	var wait *time.Timer
	defer func() {
		if wait != nil {
			wait.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.flushDue()
		case <-r.lingerReq:
			for {
				due, ok := r.lingerDue()
				if !ok {
					break
				}
				if wait == nil {
					wait = time.NewTimer(time.Until(due))
				} else {
					wait.Reset(time.Until(due))
				}
				select {
				case <-ctx.Done():
					return
				case <-wait.C:
				}
			}
		}
	}
}

// flush commits the open batch: changed rows, parked events and the
// checkpoint together. Under the checkpoint's lock it checks that nobody
// moved the checkpoint since the batch's base (a rebuild swapping the
// tables): if so the batch was applied to rows that are gone, and it is
// dropped and redelivered from the new checkpoint.
//
// The commit is shared with the other projections' batches due at the same
// time (commitGroup); this batch's writes and checkpoint stay one unit: a
// savepoint that is released whole or rolled back whole.
func (r *runner) flush() error {
	if r.tx == nil {
		return nil
	}
	base := r.position()
	r.tx = nil
	if r.pending == base && r.count == 0 {
		return nil
	}
	var moved *uint64
	err := r.views.group.commit(r.ctx, r.names, func(tx *Tx) error {
		cp, err := lockCheckpoint(r.ctx, tx, r.def.Name)
		if err != nil {
			return err
		}
		if eventstore.Position(cp) != base {
			moved = &cp
			return errCheckpointMoved
		}
		if err := r.unit.flush(r.ctx, tx); err != nil {
			return err
		}
		for _, p := range r.parked {
			if err := tx.Exec(r.ctx, `INSERT INTO parked_events (projection, position, event_id, stream, type, error, parked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (projection, position) DO NOTHING`,
				p.projection, int64(p.ev.Position), p.ev.ID.String(), p.ev.StreamID, p.ev.Type, p.err, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("park position %d: %w", p.ev.Position, err)
			}
		}
		if err := r.failPoint(FailBeforeCheckpoint); err != nil {
			return err
		}
		if err := saveCheckpoint(r.ctx, tx, r.def.Name, uint64(r.pending)); err != nil {
			return err
		}
		return r.failPoint(FailBeforeCommit)
	})
	if moved != nil {
		r.drop(eventstore.Position(*moved))
		r.setCommitted(eventstore.Position(*moved))
		return fmt.Errorf("%w: %s: its checkpoint moved from %d to %d (the tables were rebuilt)", errBatchLost, r.def.Name, base, *moved)
	}
	if err != nil {
		r.drop(base)
		return fmt.Errorf("%w: %s: %v", errBatchLost, r.def.Name, err)
	}
	r.parked = nil
	r.unit.committed(r.cfg.cacheRows)
	// The figures first: whoever waits on the position (a read at
	// min_position, a test) finds them counted once it has moved.
	if len(r.created) > 0 {
		now, h := time.Now(), r.metrics.eventLag.WithLabelValues(r.def.Name)
		for _, c := range r.created {
			h.Observe(now.Sub(c).Seconds())
		}
		r.created = r.created[:0]
	}
	if !r.lastEvent.IsZero() {
		d := time.Since(r.lastEvent)
		r.lagNanos.Store(int64(d))
		r.metrics.lag.WithLabelValues(r.def.Name).Set(d.Seconds())
	}
	r.setCommitted(r.pending)
	if err := r.failPoint(FailAfterCommit); err != nil {
		// As if the process died before acking: the batch is durable, the
		// redelivery that follows must change nothing.
		r.unit.reset()
		return fmt.Errorf("%w: %s: %v", errBatchLost, r.def.Name, err)
	}
	return nil
}

// errCheckpointMoved: a batch found its projection's checkpoint moved by a
// rebuild.
var errCheckpointMoved = errors.New("checkpoint moved")

// drop forgets the open batch: its cached rows and parked events; the
// projection stands at pos.
func (r *runner) drop(pos eventstore.Position) {
	r.tx = nil
	r.parked = nil
	r.created = r.created[:0]
	r.unit.reset()
	r.pending = pos
}

func (r *runner) failPoint(p FailPoint) error {
	if r.fail == nil {
		return nil
	}
	return r.fail(r.def.Name, p)
}
