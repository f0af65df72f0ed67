package projections

import (
	"context"
	"fmt"

	"github.com/paidan/paidan/eventstore"
)

// feed reads the log ahead of a rebuild's apply loop on two goroutines, one
// reading ReadAll pages and one decoding them, from a position to the end
// of the log as it finds it. One feed serves every batch of the fold, so a
// batch boundary does not drain the read-ahead and make the apply loop wait
// for the next batch's first page.
type feed struct {
	pages  <-chan page
	cancel context.CancelFunc
	// cur is the page being applied, from cur.events[next].
	cur  page
	next int
	done bool
}

type page struct {
	events []Event
	err    error
}

// feedPages is how many pages each stage may hold ahead of the next.
const feedPages = 4

// startFeed starts reading at from. Stop it with stop, which also lets its
// goroutines end when they are blocked on a full channel.
func (rb *rebuild) startFeed(ctx context.Context, from eventstore.Position) *feed {
	ctx, cancel := context.WithCancel(ctx)
	raw := make(chan page, feedPages)
	decoded := make(chan page, feedPages)
	go rb.readPages(ctx, from, raw)
	go rb.decodePages(ctx, raw, decoded)
	return &feed{pages: decoded, cancel: cancel}
}

func (f *feed) stop() { f.cancel() }

// readPages sends the log's pages from from until a page comes back short
// (the end of the log as it stood) or a read fails.
func (rb *rebuild) readPages(ctx context.Context, from eventstore.Position, out chan<- page) {
	defer close(out)
	n := rb.cfg.PageSize
	for {
		recs, err := rb.store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Limit: n})
		if err != nil {
			select {
			case out <- page{err: fmt.Errorf("read the log from %d: %w", from, err)}:
			case <-ctx.Done():
			}
			return
		}
		if len(recs) == 0 {
			return
		}
		evs := make([]Event, len(recs))
		for i, r := range recs {
			evs[i] = EventFromRecorded(r)
		}
		select {
		case out <- page{events: evs}:
		case <-ctx.Done():
			return
		}
		if len(recs) < n {
			return
		}
		from = recs[len(recs)-1].Position + 1
	}
}

// decodePages decodes every event once for all projections. An event that
// does not decode carries its error to the apply loop, which parks it in
// every projection.
func (rb *rebuild) decodePages(ctx context.Context, in <-chan page, out chan<- page) {
	defer close(out)
	for p := range in {
		if p.err == nil && rb.cfg.Decode != nil {
			for i := range p.events {
				d, err := rb.cfg.Decode(&p.events[i])
				if err != nil {
					p.events[i].Decoded = decodeError{err}
					continue
				}
				p.events[i].Decoded = d
			}
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return
		}
	}
}

// replay applies the feed's events until limit events were applied or the
// feed ran out (limit < 0: until it runs out). It returns how many events it
// applied; fewer than limit means the feed reached the end of the log.
func (rb *rebuild) replay(ctx context.Context, tx *Tx, limit int) (int, error) {
	f := rb.feed
	n := 0
	for limit < 0 || n < limit {
		if f.next == len(f.cur.events) {
			if f.done {
				break
			}
			p, ok := <-f.pages
			if !ok {
				f.done = true
				break
			}
			if p.err != nil {
				return n, p.err
			}
			f.cur, f.next = p, 0
			continue
		}
		m := len(f.cur.events) - f.next
		if limit >= 0 {
			m = min(m, limit-n)
		}
		evs := f.cur.events[f.next : f.next+m]
		for i := range evs {
			rb.applyAll(ctx, tx, &evs[i])
		}
		rb.pos = evs[m-1].Position
		f.next += m
		rb.events += uint64(m)
		n += m
		rb.progress(false)
	}
	return n, ctx.Err()
}
