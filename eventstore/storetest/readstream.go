package storetest

import (
	"fmt"
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var readStreamTests = []suiteTest{
	{"Ranges", testReadStreamRanges},
	{"NotFound", testReadStreamNotFound},
}

// testReadStreamRanges reads a 10-event stream forwards and backwards from
// its ends and from the middle, with limits, and beyond its end.
func testReadStreamRanges(h *harness) {
	const n = 10
	stream := h.stream("ranges")
	// Three appends, so that a store keeping batches cannot pass by accident.
	r := h.mustAppend(stream, eventstore.NoStream(), h.events(3, "A")...)
	r = h.mustAppend(stream, r.Expected(), h.events(4, "B")...)
	h.mustAppend(stream, r.Expected(), h.events(3, "C")...)
	all := h.mustReadStream(stream)
	if len(all) != n {
		h.t.Fatalf("stream holds %d events, want %d", len(all), n)
	}
	h.wantIncreasing("positions in revision order", all, false)
	fwd, bwd := eventstore.Forwards, eventstore.Backwards
	cases := []struct {
		from  uint64
		dir   eventstore.Direction
		limit int
		want  []int // revisions
	}{
		{eventstore.StreamStart, fwd, n, revs(0, 9)},
		{eventstore.StreamStart, fwd, 100, revs(0, 9)},
		{eventstore.StreamStart, fwd, 3, revs(0, 2)},
		{4, fwd, 3, revs(4, 6)},
		{7, fwd, 10, revs(7, 9)},
		{9, fwd, 1, revs(9, 9)},
		{10, fwd, 5, nil},
		{1000, fwd, 5, nil},
		{eventstore.StreamEnd, bwd, 2, revs(9, 8)},
		{eventstore.StreamEnd, bwd, 100, revs(9, 0)},
		{5, bwd, 3, revs(5, 3)},
		{2, bwd, 10, revs(2, 0)},
		{0, bwd, 1, revs(0, 0)},
		{9, bwd, 1, revs(9, 9)},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s from %d limit %d", tc.dir, tc.from, tc.limit)
		got, err := h.store.ReadStream(h.ctx(), stream, eventstore.ReadStreamOptions{From: tc.from, Direction: tc.dir, Limit: tc.limit})
		if err != nil {
			h.t.Errorf("ReadStream(%s): unexpected error %v", name, err)
			continue
		}
		want := make([]eventstore.RecordedEvent, len(tc.want))
		for i, rev := range tc.want {
			want[i] = all[rev]
		}
		h.t.Run(name, func(t *testing.T) { h.sub0(t).wantSameEvents("ReadStream("+name+")", got, want) })
	}
}

// revs lists revisions from a to b inclusive, descending when b < a.
func revs(a, b int) []int {
	var out []int
	if a <= b {
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
		return out
	}
	for i := a; i >= b; i-- {
		out = append(out, i)
	}
	return out
}

// testReadStreamNotFound: a stream never written is not found in either
// direction; a range beyond the end of an existing stream is merely empty.
func testReadStreamNotFound(h *harness) {
	missing := h.stream("never")
	for _, opts := range []eventstore.ReadStreamOptions{
		{Limit: 10},
		{From: 5, Limit: 10},
		{From: eventstore.StreamEnd, Direction: eventstore.Backwards, Limit: 10},
	} {
		evs, err := h.store.ReadStream(h.ctx(), missing, opts)
		h.wantErrIs(err, eventstore.ErrStreamNotFound, fmt.Sprintf("ReadStream(never written, %s from %d)", opts.Direction, opts.From))
		if len(evs) != 0 {
			h.t.Fatalf("ReadStream of a missing stream returned %d events with its error", len(evs))
		}
	}
	// A neighbour's name with a common prefix must not make it exist.
	h.mustAppend(h.stream("never-not"), eventstore.NoStream(), h.event("Other", `{}`))
	_, err := h.store.ReadStream(h.ctx(), missing, eventstore.ReadStreamOptions{Limit: 1})
	h.wantErrIs(err, eventstore.ErrStreamNotFound, "ReadStream(never written, after a longer-named neighbour was written)")
}
