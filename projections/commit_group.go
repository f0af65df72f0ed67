package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// commitGroup commits the live batches of all projections that fall due
// together in one write transaction, each in a savepoint of its own.
//
// On SQLite there is one writer: five projections committing one by one
// queued for it, and each commit wrote the pages it shares with the others
// (the checkpoints table, parked events) again. Measured at 1k commands/s,
// runners spent about as long waiting for the writer as writing, and that
// wait was most of the projection lag's tail. On PostgreSQL a group saves a
// WAL flush per batch it absorbs.
//
// There is no committer goroutine: the first batch to arrive commits
// itself at once (an idle pipeline pays nothing for grouping); batches that
// arrive while a transaction runs wait, and the first of them commits them
// all when it ends, so no caller carries other projections' commits for
// more than one transaction.
type commitGroup struct {
	v     *Views
	mu    sync.Mutex
	queue []*groupedBatch
	busy  bool // a transaction is running or about to
}

// groupedBatch is one projection's share of a group transaction.
type groupedBatch struct {
	ctx   context.Context
	names *names
	write func(*Tx) error
	err   error
	// wake receives true when the batch's caller is to commit the queue,
	// false when its batch is settled (err says how).
	wake chan bool
}

// errGroupRolledBack: the group transaction as a whole did not commit.
var errGroupRolledBack = errors.New("views: group commit failed")

// commit runs write, in a savepoint of a write transaction that other
// projections' batches may share, and returns when that transaction has
// ended: nil if write's changes are committed, else write's own error
// (nothing of it was kept; the others are unaffected) or the transaction's.
func (g *commitGroup) commit(ctx context.Context, names *names, write func(*Tx) error) error {
	b := &groupedBatch{ctx: ctx, names: names, write: write, wake: make(chan bool, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, b)
	if g.busy {
		g.mu.Unlock()
		if lead := <-b.wake; !lead {
			return b.err
		}
		g.mu.Lock()
	}
	g.busy = true
	batches := g.queue
	g.queue = nil
	g.mu.Unlock()

	g.run(batches)

	g.mu.Lock()
	if len(g.queue) > 0 {
		next := g.queue[0]
		g.mu.Unlock()
		next.wake <- true
	} else {
		g.busy = false
		g.mu.Unlock()
	}
	return b.err
}

// run commits batches in one transaction and settles each of them; the
// caller's own batch is among them and is settled without a wake-up.
func (g *commitGroup) run(batches []*groupedBatch) {
	// The transaction outlives no caller's wish to stop: it is short, and
	// a cancelled caller's batch is simply redelivered.
	ctx := context.WithoutCancel(batches[0].ctx)
	txs := make([]*Tx, len(batches))
	sqlTx, err := g.v.write.BeginTx(ctx, nil)
	if err != nil {
		g.settle(batches, fmt.Errorf("%w: begin: %v", errGroupRolledBack, err))
		return
	}
	abort := func(step string, err error) {
		// The transaction's state is unknown: keep nothing.
		sqlTx.Rollback()
		g.endAll(txs)
		g.settle(batches, fmt.Errorf("%w: %s: %v", errGroupRolledBack, step, err))
	}
	single := len(batches) == 1
	for i, b := range batches {
		txs[i] = &Tx{v: g.v, tx: sqlTx, names: b.names}
		if single {
			b.err = b.write(txs[i])
			break
		}
		if _, err := sqlTx.ExecContext(ctx, "SAVEPOINT batch"); err != nil {
			b.err = fmt.Errorf("savepoint: %w", err)
			continue
		}
		if b.err = b.write(txs[i]); b.err != nil {
			if _, err := sqlTx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT batch"); err != nil {
				abort("roll back a failed batch", err)
				return
			}
		}
		if _, err := sqlTx.ExecContext(ctx, "RELEASE SAVEPOINT batch"); err != nil {
			abort("release a savepoint", err)
			return
		}
	}
	if single && batches[0].err != nil {
		sqlTx.Rollback()
	} else if err := sqlTx.Commit(); err != nil {
		for _, b := range batches {
			if b.err == nil {
				b.err = fmt.Errorf("%w: commit: %v", errGroupRolledBack, err)
			}
		}
	}
	g.endAll(txs)
	g.settle(batches, nil)
}

// endAll lets each batch's Tx prepare on the pool what it prepared locally,
// now that the writer is free.
func (g *commitGroup) endAll(txs []*Tx) {
	for _, t := range txs {
		if t != nil {
			t.end()
		}
	}
}

// settle wakes every batch but the first (its caller is the one running the
// group), with err if given.
func (g *commitGroup) settle(batches []*groupedBatch, err error) {
	for i, b := range batches {
		if err != nil {
			b.err = err
		}
		if i > 0 {
			b.wake <- false
		}
	}
}
