package storebench

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore/embedded"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// baselineRow is one row of the embedded store's events table.
type baselineRow struct {
	stream   string
	revision int64
	id       [16]byte
	typ      string
	data     []byte
	done     chan error
}

// baseline is the limit the embedded store is measured against: the same rows
// (same table, same indexes, WAL, synchronous=FULL) inserted by writers
// goroutines through the simplest single-writer batcher: a goroutine that
// drains a channel, runs one transaction per drained batch with one INSERT
// per row, and acknowledges every row after the commit. It checks nothing.
func baseline(ctx context.Context, path string, writers, total int) (int, time.Duration, error) {
	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000&_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var syncMode int
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil || syncMode != 2 {
		return 0, 0, fmt.Errorf("baseline connection runs synchronous=%d (%v), expected 2 (FULL)", syncMode, err)
	}
	if _, err := db.ExecContext(ctx, embedded.SchemaSQL); err != nil {
		return 0, 0, fmt.Errorf("create schema: %w", err)
	}
	insert, err := db.PrepareContext(ctx, embedded.InsertSQL)
	if err != nil {
		return 0, 0, err
	}
	defer insert.Close()

	perWriter := max(total/writers, 1)
	rows := make([][]baselineRow, writers)
	for w := range writers {
		for i := range perWriter {
			stream := fmt.Sprintf("order-w%d-%d", w, i/eventsPerStream)
			ev := newEvent(stream, i)
			rows[w] = append(rows[w], baselineRow{stream: stream, revision: int64(i % eventsPerStream), id: uuid.UUID(ev.ID), typ: ev.Type, data: ev.Data, done: make(chan error, 1)})
		}
	}

	queue := make(chan *baselineRow, 1024)
	batcherDone := make(chan struct{})
	go func() {
		defer close(batcherDone)
		var pos int64
		batch := make([]*baselineRow, 0, 512)
		for r := range queue {
			batch = append(batch[:0], r)
		drain:
			for len(batch) < 512 {
				select {
				case r, ok := <-queue:
					if !ok {
						break drain
					}
					batch = append(batch, r)
				default:
					break drain
				}
			}
			err := func() error {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					return err
				}
				st := tx.StmtContext(ctx, insert)
				created := time.Now().UnixNano()
				for _, r := range batch {
					pos++
					if _, err := st.ExecContext(ctx, pos, r.stream, r.revision, r.id[:], r.typ, r.data, metadata, created); err != nil {
						_ = tx.Rollback()
						return err
					}
				}
				return tx.Commit()
			}()
			for _, r := range batch {
				r.done <- err
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			for i := range rows[w] {
				queue <- &rows[w][i]
				if err := <-rows[w][i].done; err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(queue)
	<-batcherDone
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	return writers * perWriter, took, nil
}
