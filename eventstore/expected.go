package eventstore

import "strconv"

// ExpectedRevision is the state a stream must be in for an append to proceed.
// The zero value is Any.
type ExpectedRevision struct {
	kind     expectKind
	revision uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any appends whatever state the stream is in.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream appends only to a stream that has no events.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// StreamExists appends only to a stream that has at least one event.
func StreamExists() ExpectedRevision { return ExpectedRevision{kind: expectStreamExists} }

// Exact appends only when the stream's last event has this revision.
func Exact(revision uint64) ExpectedRevision {
	return ExpectedRevision{kind: expectExact, revision: revision}
}

// ExpectNext is the expectation for a stream whose next revision is next: NoStream
// for 0, otherwise Exact(next-1). It turns "I have read n events" into the
// optimistic-concurrency check for writing after them.
func ExpectNext(next uint64) ExpectedRevision {
	if next == 0 {
		return NoStream()
	}
	return Exact(next - 1)
}

// IsAny reports whether the expectation accepts any stream state.
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether the expectation is NoStream.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists reports whether the expectation is StreamExists.
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }

// Revision returns the exact revision expected and true, or 0 and false when the
// expectation is not Exact.
func (e ExpectedRevision) Revision() (uint64, bool) {
	return e.revision, e.kind == expectExact
}

// Satisfied reports whether a stream whose next revision is next meets the
// expectation.
func (e ExpectedRevision) Satisfied(next uint64) bool {
	switch e.kind {
	case expectNoStream:
		return next == 0
	case expectStreamExists:
		return next > 0
	case expectExact:
		return next > 0 && e.revision == next-1
	default:
		return true
	}
}

// String names the expectation as EventStoreDB's messages do: "any",
// "no_stream", "stream_exists" or the revision.
func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no_stream"
	case expectStreamExists:
		return "stream_exists"
	case expectExact:
		return strconv.FormatUint(e.revision, 10)
	default:
		return "any"
	}
}
