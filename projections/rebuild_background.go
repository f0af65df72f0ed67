package projections

import "sync"

// background runs a rebuild's writes to its fresh tables on one goroutine,
// in the order they were queued, while the apply loop folds the next
// batches. The fold waits for the writer only when its queue is full, so a
// long job (indexing the tables) does not stall it at the next batch.
// Order matters: a row inserted by one job may be upserted by a later one.
type background struct {
	jobs chan func() error
	wg   sync.WaitGroup
	mu   sync.Mutex
	err  error
}

// backgroundQueue is how many jobs may wait for the writer; each holds a
// batch's settled rows in memory until it runs.
const backgroundQueue = 2

// start queues f, starting the writer on first use. Jobs after a failed one
// are skipped.
func (b *background) start(f func() error) {
	if b.jobs == nil {
		b.jobs = make(chan func() error, backgroundQueue)
		go b.run(b.jobs)
	}
	b.wg.Add(1)
	b.jobs <- f
}

func (b *background) run(jobs <-chan func() error) {
	for f := range jobs {
		if b.failed() == nil {
			if err := f(); err != nil {
				b.mu.Lock()
				b.err = err
				b.mu.Unlock()
			}
		}
		b.wg.Done()
	}
}

// failed returns the first job's error, without waiting.
func (b *background) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// wait blocks until every queued job ran and returns the first error.
func (b *background) wait() error {
	b.wg.Wait()
	return b.failed()
}

// close waits for the queued jobs and ends the writer.
func (b *background) close() {
	b.wg.Wait()
	if b.jobs != nil {
		close(b.jobs)
		b.jobs = nil
	}
}

// batchLimit is how many events the next batch folds. Near the end of the
// log (as it stood when the rebuild began) batches halve, down to a
// sixteenth of BatchEvents, so the last batch's rows, which are written
// after the fold with nothing left to overlap, are few. On a store whose
// positions are not event counts this is only a rough guide.
func (rb *rebuild) batchLimit() int {
	b := rb.cfg.BatchEvents
	var left uint64
	if rb.head > rb.pos {
		left = uint64(rb.head - rb.pos)
	}
	if left < 2*uint64(b) {
		b = max(int(left/2), b/16, 1)
	}
	return b
}
