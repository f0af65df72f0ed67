package storetest

import (
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var emptyAppendTests = []suiteTest{
	{"Matrix", testEmptyAppendMatrix},
}

// testEmptyAppendMatrix: an append of zero events checks the expectation,
// writes nothing (a missing stream stays missing) and describes the stream as
// it stands: NextRevision and the position of its last event, or zeros.
func testEmptyAppendMatrix(h *harness) {
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
		{"exact_last/existing", true, eventstore.Exact(1), true},
		{"exact_older/existing", true, eventstore.Exact(0), false},
		{"exact_future/existing", true, eventstore.Exact(7), false},
		{"exact_0/missing", false, eventstore.Exact(0), false},
	}
	for _, tc := range cases {
		h.t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			stream := h.stream("empty")
			want := eventstore.AppendResult{}
			actual := eventstore.NoStream()
			n := 0
			if tc.exists {
				want = h.mustAppend(stream, eventstore.NoStream(), h.events(2, "Seed")...)
				actual, n = eventstore.Exact(1), 2
			}
			res, err := h.append(stream, tc.expected)
			if tc.ok {
				if err != nil {
					t.Fatalf("Append(%s) of zero events: unexpected error %v", tc.expected, err)
				}
				h.wantResult("empty append result", res, want)
			} else {
				h.wantWEV(err, stream, tc.expected, actual)
			}
			h.wantLen(stream, n)
			if !tc.exists {
				_, err := h.store.ReadStream(h.ctx(), stream, eventstore.ReadStreamOptions{Limit: 1})
				h.wantErrIs(err, eventstore.ErrStreamNotFound, "ReadStream after an empty append to a missing stream")
			}
		})
	}
}
