package storetest

import (
	"fmt"

	"github.com/paidan/paidan/eventstore"
)

var readAllTests = []suiteTest{
	{"AppendOrder", testReadAllOrder},
	{"FromPosition", testReadAllFromPosition},
	{"Ends", testReadAllEnds},
}

// writeInterleaved appends to three streams in an interleaved order and
// returns the events as ReadStream shows them, in append order, and the
// append results in order.
func (h *harness) writeInterleaved() ([]eventstore.RecordedEvent, []eventstore.AppendResult) {
	h.t.Helper()
	plan := []struct {
		stream string
		n      int
	}{{"a", 2}, {"b", 1}, {"a", 1}, {"c", 3}, {"b", 2}, {"a", 1}}
	next := map[string]eventstore.AppendResult{}
	var ids [][16]byte
	var results []eventstore.AppendResult
	for _, p := range plan {
		s := h.stream(p.stream)
		evs := h.events(p.n, "I"+p.stream)
		r := h.mustAppend(s, next[s].Expected(), evs...)
		next[s] = r
		results = append(results, r)
		for _, ev := range evs {
			ids = append(ids, ev.ID)
		}
	}
	byID := map[[16]byte]eventstore.RecordedEvent{}
	for _, name := range []string{"a", "b", "c"} {
		for _, ev := range h.mustReadStream(h.stream(name)) {
			byID[ev.ID] = ev
		}
	}
	out := make([]eventstore.RecordedEvent, len(ids))
	for i, id := range ids {
		ev, ok := byID[id]
		if !ok {
			h.t.Fatalf("appended event %x is missing from its stream", id)
		}
		out[i] = ev
	}
	return out, results
}

// testReadAllOrder: $all holds the test's events in append order with
// strictly increasing positions, each as ReadStream shows it; each append's
// result names its last event's position; without other writers and with
// gapless positions, the log is exactly 1..N.
func testReadAllOrder(h *harness) {
	want, results := h.writeInterleaved()
	got := h.readAllOwn(want[0].Position)
	h.wantSameEvents("own events of ReadAll forwards", got, want)
	h.wantIncreasing("ReadAll forwards", got, false)

	// Each append's result is the position of the last event it wrote.
	k := 0
	for i, n := range []int{2, 1, 1, 3, 2, 1} {
		k += n
		h.wantResult(fmt.Sprintf("result of append %d", i+1), results[i], resultOf(want[k-1]))
	}

	if h.f.SharedLog {
		return
	}
	all, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{From: eventstore.Start, Limit: 1000})
	if err != nil {
		h.t.Fatalf("ReadAll(Start): %v", err)
	}
	h.wantSameEvents("ReadAll(Start) of a fresh store", all, want)
	if h.f.GaplessPositions {
		for i, ev := range all {
			if ev.Position != eventstore.Position(i+1) {
				h.t.Fatalf("event %d of a fresh store has position %d, want %d (gapless from 1)", i, ev.Position, i+1)
			}
		}
	}
}

// testReadAllFromPosition: forwards from an event's position includes it,
// backwards from it excludes it; limits hold in both directions.
func testReadAllFromPosition(h *harness) {
	want, _ := h.writeInterleaved()
	k := 4
	p := want[k].Position

	fwd, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{From: p, Limit: 3})
	if err != nil {
		h.t.Fatalf("ReadAll(Forwards from %d): %v", p, err)
	}
	if len(fwd) != 3 {
		h.t.Fatalf("ReadAll(Forwards from %d, Limit 3) returned %d events", p, len(fwd))
	}
	if d := sameEvent(fwd[0], want[k]); d != "" {
		h.t.Fatalf("ReadAll(Forwards from %d) must begin with the event at %d: %s", p, p, d)
	}
	if !h.f.SharedLog {
		h.wantSameEvents("ReadAll(Forwards from a position, Limit 3)", fwd, want[k:k+3])
	}

	bwd := h.readAllOwnBackwards(p, want[0].Position)
	rev := make([]eventstore.RecordedEvent, k)
	for i := range rev {
		rev[i] = want[k-1-i]
	}
	h.wantSameEvents("own events of ReadAll(Backwards from a position)", bwd, rev)

	got, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{From: p, Direction: eventstore.Backwards, Limit: 2})
	if err != nil {
		h.t.Fatalf("ReadAll(Backwards from %d): %v", p, err)
	}
	if len(got) != 2 {
		h.t.Fatalf("ReadAll(Backwards from %d, Limit 2) returned %d events", p, len(got))
	}
	for _, ev := range got {
		if ev.Position >= p {
			h.t.Fatalf("ReadAll(Backwards from %d) returned an event at %d; it must exclude the start", p, ev.Position)
		}
	}
	if got[0].Position <= got[1].Position {
		h.t.Fatalf("ReadAll(Backwards) returned positions %d then %d; want newest first", got[0].Position, got[1].Position)
	}
	if !h.f.SharedLog {
		h.wantSameEvents("ReadAll(Backwards from a position, Limit 2)", got, rev[:2])
	}
}

// readAllOwnBackwards reads $all backwards from `from` (exclusive) until it
// passes below stop, and keeps the test's events.
func (h *harness) readAllOwnBackwards(from, stop eventstore.Position) []eventstore.RecordedEvent {
	h.t.Helper()
	const page = 500
	var own []eventstore.RecordedEvent
	for {
		evs, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{From: from, Direction: eventstore.Backwards, Limit: page})
		if err != nil {
			h.t.Fatalf("ReadAll(Backwards from %d): %v", from, err)
		}
		for _, ev := range evs {
			if ev.Position >= from {
				h.t.Fatalf("ReadAll(Backwards from %d) returned an event at %d; it must exclude the start", from, ev.Position)
			}
			from = ev.Position
			if h.own(ev) {
				own = append(own, ev)
			}
		}
		if len(evs) < page || from <= stop {
			return own
		}
	}
}

// testReadAllEnds: forwards from End and backwards from Start are empty;
// backwards from End begins at the head.
func testReadAllEnds(h *harness) {
	want, _ := h.writeInterleaved()
	for _, opts := range []eventstore.ReadAllOptions{
		{From: eventstore.End, Limit: 10},
		{From: eventstore.Start, Direction: eventstore.Backwards, Limit: 10},
	} {
		got, err := h.store.ReadAll(h.ctx(), opts)
		if err != nil {
			h.t.Fatalf("ReadAll(%s from %d): %v", opts.Direction, opts.From, err)
		}
		if len(got) != 0 {
			h.t.Fatalf("ReadAll(%s from %d) returned %d events, want none: %s", opts.Direction, opts.From, len(got), describe(got))
		}
	}
	bwd := h.readAllOwnBackwards(eventstore.End, want[0].Position)
	rev := make([]eventstore.RecordedEvent, len(want))
	for i := range rev {
		rev[i] = want[len(want)-1-i]
	}
	h.wantSameEvents("own events of ReadAll(Backwards from End)", bwd, rev)
	if !h.f.SharedLog {
		head, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
		if err != nil {
			h.t.Fatalf("ReadAll(Backwards from End): %v", err)
		}
		h.wantSameEvents("ReadAll(Backwards from End, Limit 1)", head, rev[:1])
	}
}
