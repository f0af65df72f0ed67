package storetest

import (
	"fmt"
	"sync"

	"github.com/paidan/paidan/eventstore"
)

var concurrencyTests = []suiteTest{
	{"ManyWritersManyStreams", testManyWriters},
}

// testManyWriters: goroutines append to streams of their own under Exact
// expectations and to one shared stream under Any. Afterwards every stream
// is gap-free, each append's events are contiguous in $all, every event is in
// $all exactly once, per-stream order agrees with $all order, and each append
// result names its last event.
func testManyWriters(h *harness) {
	const (
		writers   = 8
		perWriter = 3  // own streams per writer
		appends   = 12 // appends per writer
	)
	hot := h.stream("hot")
	type batch struct {
		stream string
		ids    [][16]byte
		res    eventstore.AppendResult
	}
	batches := make([][]batch, writers)
	errs := make(chan error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := map[string]eventstore.AppendResult{}
			<-start
			for i := range appends {
				stream, exp := h.stream(fmt.Sprintf("w%d-%d", w, i%perWriter)), eventstore.ExpectedRevision{}
				if i%4 == 3 {
					stream, exp = hot, eventstore.Any()
				} else {
					exp = next[stream].Expected()
				}
				evs := h.events(i%3+1, "C")
				res, err := h.append(stream, exp, evs...)
				if err != nil {
					errs <- fmt.Errorf("writer %d append %d to %s: %w", w, i, stream, err)
					return
				}
				next[stream] = res
				b := batch{stream: stream, res: res}
				for _, ev := range evs {
					b.ids = append(b.ids, ev.ID)
				}
				batches[w] = append(batches[w], b)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		h.t.Fatal(err)
	}

	byID := map[[16]byte]eventstore.RecordedEvent{}
	streams := map[string]bool{}
	for _, bs := range batches {
		for _, b := range bs {
			streams[b.stream] = true
		}
	}
	var first eventstore.Position
	for s := range streams {
		evs := h.mustReadStream(s)
		for i, ev := range evs {
			if ev.Revision != uint64(i) {
				h.t.Fatalf("stream %s: event %d has revision %d; revisions must run 0, 1, 2… without gaps", s, i, ev.Revision)
			}
			if i > 0 && ev.Position <= evs[i-1].Position {
				h.t.Fatalf("stream %s: revision %d at position %d follows position %d", s, i, ev.Position, evs[i-1].Position)
			}
			byID[ev.ID] = ev
			if first == 0 || ev.Position < first {
				first = ev.Position
			}
		}
	}
	all := h.readAllOwn(first)
	if len(all) != len(byID) {
		h.t.Fatalf("$all holds %d of the test's events, its streams hold %d", len(all), len(byID))
	}
	h.wantIncreasing("$all under concurrent writers", all, !h.f.SharedLog)
	index := map[[16]byte]int{}
	for i, ev := range all {
		if _, dup := index[ev.ID]; dup {
			h.t.Fatalf("event %x appears twice in $all", ev.ID)
		}
		index[ev.ID] = i
		if d := sameEvent(ev, byID[ev.ID]); d != "" {
			h.t.Fatalf("event %x: $all and ReadStream differ: %s", ev.ID, d)
		}
	}
	for _, bs := range batches {
		for _, b := range bs {
			firstIdx, ok := index[b.ids[0]]
			if !ok {
				h.t.Fatalf("event %x of stream %s is missing from $all", b.ids[0], b.stream)
			}
			for j, id := range b.ids {
				k, ok := index[id]
				if !ok || k != firstIdx+j {
					h.t.Fatalf("the %d events of one append to %s are not contiguous in $all", len(b.ids), b.stream)
				}
				if h.f.GaplessPositions && all[k].Position != all[firstIdx].Position+eventstore.Position(j) {
					h.t.Fatalf("one append to %s has positions %d and %d %d apart; gapless positions are consecutive",
						b.stream, all[firstIdx].Position, all[k].Position, j)
				}
			}
			h.wantResult("result of an append to "+b.stream, b.res, resultOf(all[firstIdx+len(b.ids)-1]))
		}
	}
}
