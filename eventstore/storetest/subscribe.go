package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var subscribeTests = []suiteTest{
	{"FromStart", testSubscribeFromStart},
	{"FromPosition", testSubscribeFromPosition},
	{"FromEnd", testSubscribeFromEnd},
	{"ConcurrentWritersDuringCatchUp", testSubscribeConcurrentWriters},
	{"NeverBlocksAppends", testSubscribeNeverBlocksAppends},
}

// testSubscribeFromStart: the history arrives in $all order before the first
// CaughtUp, exactly as ReadStream and ReadAll show it; later appends arrive
// live, in order.
func testSubscribeFromStart(h *harness) {
	history, _ := h.writeInterleaved()
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.Start})
	got, _ := s.untilCaughtUp()
	h.wantSameEvents("own events before CaughtUp", got, history)
	h.wantSameEvents("own events of ReadAll", h.readAllOwn(history[0].Position), history)

	live := h.stream("live")
	r := h.mustAppend(live, eventstore.NoStream(), h.events(2, "Live")...)
	h.mustAppend(live, r.Expected(), h.event("Live", `{}`))
	gotLive, _ := s.collect(3)
	h.wantSameEvents("live events", gotLive, h.mustReadStream(live))
	if gotLive[0].Position <= history[len(history)-1].Position {
		h.t.Fatalf("live event at %d does not follow the history's last position %d", gotLive[0].Position, history[len(history)-1].Position)
	}
}

// testSubscribeFromPosition: the start position is exclusive.
func testSubscribeFromPosition(h *harness) {
	history, _ := h.writeInterleaved()
	for _, k := range []int{0, 4, len(history) - 1} {
		h.t.Run(fmt.Sprintf("after_event_%d", k), func(t *testing.T) {
			h := h.sub0(t)
			s := h.subscribe(eventstore.SubscribeOptions{From: history[k].Position})
			got, _ := s.untilCaughtUp()
			h.wantSameEvents(fmt.Sprintf("own events after position %d", history[k].Position), got, history[k+1:])
		})
	}
}

// testSubscribeFromEnd: no history, CaughtUp first, then only new events.
func testSubscribeFromEnd(h *harness) {
	h.writeInterleaved()
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.End})
	got, _ := s.untilCaughtUp()
	if len(got) != 0 {
		h.t.Fatalf("a subscription from End delivered %d earlier events before CaughtUp: %s", len(got), describe(got))
	}
	live := h.stream("live")
	h.mustAppend(live, eventstore.NoStream(), h.events(2, "Live")...)
	gotLive, _ := s.collect(2)
	h.wantSameEvents("live events after subscribing from End", gotLive, h.mustReadStream(live))
}

// testSubscribeConcurrentWriters: writers append while a subscription from
// Start catches up (half of their appends land before the test reads its
// first message, half while it reads); it must see every event exactly once
// in $all order across the catch-up to live switch, and after the last one
// nothing but what comes next.
func testSubscribeConcurrentWriters(h *harness) {
	const (
		writers  = 4
		appends  = 40
		seedSize = 1000 // more than one page of any adapter's catch-up, so writers land mid-catch-up
	)
	h.mustAppend(h.stream("seed"), eventstore.NoStream(), h.events(seedSize, "Seed")...)
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.Start})

	var wg, halfway sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		halfway.Add(1)
		go func() {
			defer wg.Done()
			stream := h.stream(fmt.Sprintf("w%d", w))
			res := eventstore.AppendResult{}
			for i := range appends {
				if i == appends/2 {
					halfway.Done()
				}
				var err error
				res, err = h.append(stream, res.Expected(), h.events(i%3+1, "W")...)
				if err != nil {
					errs <- fmt.Errorf("writer %d, append %d: %w", w, i, err)
					if i < appends/2 {
						halfway.Done()
					}
					return
				}
			}
		}()
	}
	halfway.Wait()
	total := seedSize
	for i := range appends {
		total += writers * (i%3 + 1)
	}
	got, _ := s.collect(total)
	wg.Wait()
	close(errs)
	for err := range errs {
		h.t.Fatal(err)
	}

	want := h.readAllOwn(h.mustReadStream(h.stream("seed"))[0].Position)
	h.wantSameEvents("subscription vs ReadAll under concurrent writers", got, want)
	seen := map[[16]byte]bool{}
	for _, ev := range got {
		if seen[ev.ID] {
			h.t.Fatalf("event %x delivered twice", ev.ID)
		}
		seen[ev.ID] = true
	}
	// Nothing more is pending: the next own event is the sentinel.
	sentinel := h.stream("sentinel")
	h.mustAppend(sentinel, eventstore.NoStream(), h.event("Sentinel", `{}`))
	next, _ := s.collect(1)
	if next[0].StreamID != sentinel {
		h.t.Fatalf("after all %d events the subscription delivered %s@%d, want the sentinel", total, next[0].StreamID, next[0].Revision)
	}
}

// testSubscribeNeverBlocksAppends: a subscriber that reads nothing must not
// hold up writers, even past any buffer an adapter may keep for it (10,000
// events, more than the embedded store's default ring); afterwards it still
// receives everything in order.
func testSubscribeNeverBlocksAppends(h *harness) {
	const appends, size = 50, 200
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.End})
	stream := h.stream("flood")
	res := eventstore.AppendResult{}
	for i := range appends {
		var err error
		res, err = h.append(stream, res.Expected(), h.events(size, "Flood")...)
		if err != nil {
			h.t.Fatalf("append %d of %d while a subscriber reads nothing: %v", i+1, appends, err)
		}
	}
	got, _ := s.collect(appends * size)
	h.wantSameEvents("events delivered after the flood", got, h.mustReadStream(stream))
}
