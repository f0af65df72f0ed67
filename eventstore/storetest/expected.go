package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var expectedTests = []suiteTest{
	{"Matrix", testExpectedMatrix},
	{"ExpectNextChain", testExpectNextChain},
	{"FiftyWritersOneExact", testFiftyWritersOneExact},
}

// testExpectedMatrix appends one new event under each expectation to a
// stream that was never written and to one holding two events: a right
// expectation writes and reports the new state, a wrong one reports expected
// and actual and writes nothing.
func testExpectedMatrix(h *harness) {
	const existing = 2 // events already in the "existing" stream: revisions 0, 1
	cases := []struct {
		name     string
		exists   bool
		expected eventstore.ExpectedRevision
		ok       bool
	}{
		{"any/missing", false, eventstore.Any(), true},
		{"any/existing", true, eventstore.Any(), true},
		{"no_stream/missing", false, eventstore.NoStream(), true},
		{"no_stream/existing", true, eventstore.NoStream(), false},
		{"stream_exists/missing", false, eventstore.StreamExists(), false},
		{"stream_exists/existing", true, eventstore.StreamExists(), true},
		{"exact_last/existing", true, eventstore.Exact(existing - 1), true},
		{"exact_older/existing", true, eventstore.Exact(0), false},
		{"exact_future/existing", true, eventstore.Exact(existing + 3), false},
		{"exact_next/existing", true, eventstore.Exact(existing), false},
		{"exact_0/missing", false, eventstore.Exact(0), false},
		{"expect_next/existing", true, eventstore.ExpectNext(existing), true},
		{"expect_next_0/missing", false, eventstore.ExpectNext(0), true},
	}
	for _, tc := range cases {
		h.t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			stream := h.stream("m")
			before := 0
			actual := eventstore.NoStream()
			if tc.exists {
				h.mustAppend(stream, eventstore.NoStream(), h.events(existing, "Seeded")...)
				before, actual = existing, eventstore.Exact(existing-1)
			}
			ev := h.event("Added", `{"case":"`+tc.name+`"}`)
			res, err := h.append(stream, tc.expected, ev)
			if !tc.ok {
				h.wantWEV(err, stream, tc.expected, actual)
				h.wantLen(stream, before)
				return
			}
			if err != nil {
				t.Fatalf("Append(%s) to a stream of %d events: unexpected error: %v", tc.expected, before, err)
			}
			evs := h.mustReadStream(stream)
			if len(evs) != before+1 {
				t.Fatalf("stream holds %d events after the append, want %d", len(evs), before+1)
			}
			last := evs[len(evs)-1]
			if last.ID != ev.ID || last.Revision != uint64(before) {
				t.Fatalf("last event is %x at revision %d, want the appended %x at revision %d", last.ID, last.Revision, ev.ID, before)
			}
			h.wantResult("Append result", res, resultOf(last))
		})
	}
}

// testExpectNextChain writes a stream in steps, each under the expectation
// the previous result returned, and checks that a stale result is refused.
func testExpectNextChain(h *harness) {
	stream := h.stream("chain")
	res := eventstore.AppendResult{}
	var stale eventstore.AppendResult
	for i := 0; i < 5; i++ {
		stale = res
		res = h.mustAppend(stream, res.Expected(), h.events(i%3+1, "Step")...)
	}
	n := h.streamLen(stream)
	if res.NextRevision != uint64(n) {
		h.t.Fatalf("last NextRevision = %d, stream holds %d events", res.NextRevision, n)
	}
	_, err := h.append(stream, stale.Expected(), h.event("Late", `{}`))
	h.wantWEV(err, stream, stale.Expected(), eventstore.Exact(uint64(n-1)))
	h.wantLen(stream, n)
}

// testFiftyWritersOneExact races 50 appends under the same Exact
// expectation: exactly one wins, every other one gets a wrong-expected-
// revision error naming the winner's revision, and the stream grows by one.
func testFiftyWritersOneExact(h *harness) {
	const writers = 50
	stream := h.stream("race")
	h.mustAppend(stream, eventstore.NoStream(), h.event("Seeded", `{}`))

	start := make(chan struct{})
	errs := make([]error, writers)
	evs := make([]eventstore.EventData, writers)
	var wg sync.WaitGroup
	for i := range writers {
		evs[i] = h.event("Raced", fmt.Sprintf(`{"writer":%d}`, i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = h.append(stream, eventstore.Exact(0), evs[i])
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				h.t.Fatalf("writers %d and %d both succeeded with Exact(0)", winner, i)
			}
			winner = i
		case errors.Is(err, eventstore.ErrWrongExpectedRevision):
			var wev *eventstore.WrongExpectedRevisionError
			if !errors.As(err, &wev) {
				h.t.Fatalf("writer %d: %v does not unwrap to *WrongExpectedRevisionError", i, err)
			}
			if wev.Expected != eventstore.Exact(0) || wev.Actual != eventstore.Exact(1) {
				h.t.Errorf("writer %d: expected %s actual %s, want expected 0 actual 1", i, wev.Expected, wev.Actual)
			}
		default:
			h.t.Fatalf("writer %d: unexpected error %v", i, err)
		}
	}
	if winner < 0 {
		h.t.Fatal("none of the writers succeeded with Exact(0)")
	}
	got := h.mustReadStream(stream)
	if len(got) != 2 {
		h.t.Fatalf("stream holds %d events, want 2 (seed + the winner)", len(got))
	}
	if got[1].ID != evs[winner].ID {
		h.t.Fatalf("event at revision 1 is %x, want the winner's %x", got[1].ID, evs[winner].ID)
	}
}
