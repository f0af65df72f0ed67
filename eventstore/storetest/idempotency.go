package storetest

import (
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var idempotencyTests = []suiteTest{
	{"Matrix", testIdempotencyMatrix},
	{"WroteReported", testWroteReported},
}

// testWroteReported: AppendResult.Wrote is never true for an append that
// stored nothing (a retry, an empty append), and, where the store reports
// it, true for every append that stored its events, under each kind of
// expectation.
func testWroteReported(h *harness) {
	t := h.t
	// Callers trust a false Wrote only from a store that says it is exact.
	if got := eventstore.ReportsWrote(h.store); got != h.f.ReportsWrote {
		t.Fatalf("eventstore.ReportsWrote(store) = %v; the suite was told Features.ReportsWrote = %v", got, h.f.ReportsWrote)
	}
	s := h.stream("wrote")
	wantWrote := func(call string, res eventstore.AppendResult, stored bool) {
		t.Helper()
		switch {
		case res.Wrote && !stored:
			t.Fatalf("%s stored nothing but reported Wrote", call)
		case !res.Wrote && stored && h.f.ReportsWrote:
			t.Fatalf("%s stored its events but reported Wrote false", call)
		}
	}
	for _, step := range []struct {
		call   string
		exp    func(last eventstore.AppendResult) eventstore.ExpectedRevision
		events int
	}{
		{"first append, no stream", func(eventstore.AppendResult) eventstore.ExpectedRevision { return eventstore.NoStream() }, 2},
		{"append at the exact revision", func(r eventstore.AppendResult) eventstore.ExpectedRevision { return r.Expected() }, 1},
		{"append under any", func(eventstore.AppendResult) eventstore.ExpectedRevision { return eventstore.Any() }, 2},
		{"append when the stream exists", func(eventstore.AppendResult) eventstore.ExpectedRevision { return eventstore.StreamExists() }, 1},
	} {
		var last eventstore.AppendResult
		if evs, err := h.readStream(s); err == nil && len(evs) > 0 {
			last = resultOf(evs[len(evs)-1])
		}
		exp := step.exp(last)
		evs := h.events(step.events, "W")
		res := h.mustAppend(s, exp, evs...)
		wantWrote(step.call, res, true)
		again, err := h.append(s, exp, evs...)
		if err != nil {
			t.Fatalf("retry of the %s: %v", step.call, err)
		}
		wantWrote("retry of the "+step.call, again, false)
	}
	empty, err := h.append(s, eventstore.Any())
	if err != nil {
		t.Fatalf("empty append: %v", err)
	}
	wantWrote("an empty append", empty, false)
}

// idemCase is one row of the idempotency matrix: seed writes the stream's
// history and returns the append to be retried with its original result;
// then retry (with the same or altered IDs) must either repeat that result or
// fail with a wrong expected revision, and the stream's length must not move.
type idemCase struct {
	name string
	// exactAny marks rows that only a store remembering every ID must pass.
	exactAny bool
	run      func(h *harness, stream string)
}

var idemCases = []idemCase{
	{name: "no_stream/identical", run: func(h *harness, s string) {
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.NoStream(), a...)
		h.wantRetry(s, eventstore.NoStream(), a, r, 2)
	}},
	{name: "no_stream/prefix_of_batch", run: func(h *harness, s string) {
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.NoStream(), a...)
		first := h.mustReadStream(s)[0]
		h.wantRetry(s, eventstore.NoStream(), a[:1], resultOf(first), 2)
	}},
	{name: "no_stream/after_more", run: func(h *harness, s string) {
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.NoStream(), a...)
		h.mustAppend(s, r.Expected(), h.event("More", `{}`))
		h.wantRetry(s, eventstore.NoStream(), a, r, 3)
	}},
	{name: "exact/identical", run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.Exact(0), a...)
		h.wantRetry(s, eventstore.Exact(0), a, r, 3)
	}},
	{name: "exact/after_more", run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.Exact(0), a...)
		h.mustAppend(s, r.Expected(), h.events(2, "More")...)
		h.wantRetry(s, eventstore.Exact(0), a, r, 5)
	}},
	{name: "any/immediate_new_stream", run: func(h *harness, s string) {
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.Any(), a...)
		h.wantRetry(s, eventstore.Any(), a, r, 2)
	}},
	{name: "any/immediate_existing_stream", run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(3, "A")
		r := h.mustAppend(s, eventstore.Any(), a...)
		h.wantRetry(s, eventstore.Any(), a, r, 4)
	}},
	{name: "stream_exists/immediate", run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.StreamExists(), a...)
		h.wantRetry(s, eventstore.StreamExists(), a, r, 3)
	}},
	{name: "any/after_more", exactAny: true, run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.Any(), a...)
		h.mustAppend(s, eventstore.Any(), h.events(2, "More")...)
		h.wantRetry(s, eventstore.Any(), a, r, 5)
	}},
	{name: "stream_exists/after_more", exactAny: true, run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(2, "A")
		r := h.mustAppend(s, eventstore.StreamExists(), a...)
		h.mustAppend(s, eventstore.Any(), h.event("More", `{}`))
		h.wantRetry(s, eventstore.StreamExists(), a, r, 4)
	}},
	{name: "no_stream/different_second", run: func(h *harness, s string) {
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.NoStream(), a...)
		h.wantRetryRefused(s, eventstore.NoStream(), []eventstore.EventData{a[0], h.event("X", `{}`)}, 2)
	}},
	{name: "exact/different_second", run: func(h *harness, s string) {
		h.mustAppend(s, eventstore.NoStream(), h.event("Seed", `{}`))
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.Exact(0), a...)
		h.wantRetryRefused(s, eventstore.Exact(0), []eventstore.EventData{a[0], h.event("X", `{}`)}, 3)
	}},
	{name: "any/different_second", run: func(h *harness, s string) {
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.Any(), a...)
		h.wantRetryRefused(s, eventstore.Any(), []eventstore.EventData{a[0], h.event("X", `{}`)}, 2)
	}},
	{name: "exact/overlap_past_end", run: func(h *harness, s string) {
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.NoStream(), a...)
		// a[1] sits at revision 1 as Exact(0) implies, but the batch runs on
		// beyond the stream's end.
		h.wantRetryRefused(s, eventstore.Exact(0), []eventstore.EventData{a[1], h.event("X", `{}`)}, 2)
	}},
	{name: "any/overlap_past_end", run: func(h *harness, s string) {
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.NoStream(), a...)
		h.wantRetryRefused(s, eventstore.Any(), []eventstore.EventData{a[1], h.event("X", `{}`)}, 2)
	}},
	{name: "exact/first_different", run: func(h *harness, s string) {
		// Checklist 13: revision 1 holds another ID and revision 2 exists.
		h.mustAppend(s, eventstore.NoStream(), h.events(3, "Seed")...)
		h.wantRetryRefused(s, eventstore.Exact(0), []eventstore.EventData{h.event("X", `{}`)}, 3)
	}},
	{name: "same_ids_other_stream", run: func(h *harness, s string) {
		// IDs are remembered per stream: the same IDs are new to another one.
		a := h.events(2, "A")
		h.mustAppend(s, eventstore.NoStream(), a...)
		other := s + "-other"
		h.mustAppend(other, eventstore.NoStream(), a...)
		h.wantLen(s, 2)
		h.wantLen(other, 2)
	}},
	{name: "zero_ids_never_repeat", run: func(h *harness, s string) {
		ev := eventstore.EventData{Type: h.typ("Anon"), Data: []byte(`{}`)}
		r1 := h.mustAppend(s, eventstore.Any(), ev, ev)
		r2 := h.mustAppend(s, eventstore.Any(), ev, ev)
		if r1.NextRevision != 2 || r2.NextRevision != 4 {
			h.t.Fatalf("two appends of two zero-ID events returned NextRevision %d and %d, want 2 and 4",
				r1.NextRevision, r2.NextRevision)
		}
		h.wantLen(s, 4)
	}},
}

func testIdempotencyMatrix(h *harness) {
	for _, tc := range idemCases {
		h.t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			if tc.exactAny && !h.f.ExactAnyIdempotency {
				t.Skip("the adapter's idempotency under Any/StreamExists is best-effort (Features.ExactAnyIdempotency is false)")
			}
			tc.run(h, h.stream("idem"))
		})
	}
}

// wantRetry retries an append and expects the original result, no error and
// a stream still holding n events.
func (h *harness) wantRetry(stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData, original eventstore.AppendResult, n int) {
	h.t.Helper()
	res, err := h.append(stream, exp, evs...)
	if err != nil {
		h.t.Fatalf("retry of Append(%s, %d events): unexpected error %v; an identical retry must succeed", exp, len(evs), err)
	}
	h.wantResult("retry result", res, original)
	if res.Wrote {
		h.t.Fatalf("retry of Append(%s, %d events) reported Wrote: a retry stores nothing", exp, len(evs))
	}
	h.wantLen(stream, n)
}

// wantRetryRefused expects a wrong expected revision whose actual state is the
// stream's last revision, and a stream still holding n events.
func (h *harness) wantRetryRefused(stream string, exp eventstore.ExpectedRevision, evs []eventstore.EventData, n int) {
	h.t.Helper()
	_, err := h.append(stream, exp, evs...)
	h.wantWEV(err, stream, exp, eventstore.Exact(uint64(n-1)))
	h.wantLen(stream, n)
}
