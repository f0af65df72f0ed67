// Package eventstore is the port every part of Paidan uses to keep and read its
// immutable events. It speaks bytes and type strings only and knows no domain
// types, so the write side, the projections and the auditors work unchanged on
// any adapter: the embedded SQLite store (eventstore/embedded) or EventStoreDB
// (eventstore/esdb). The conformance suite in eventstore/storetest states the
// contract as tests; every adapter runs it.
//
// The contract follows EventStoreDB wherever a caller could tell the difference:
// per-stream revisions from 0, one global order of all events, expected-revision
// checks, idempotent retries keyed by event ID, exclusive subscription start
// positions, forwards reads from a position including it and backwards reads
// excluding it.
package eventstore

import (
	"context"
	"time"
)

// Store keeps streams of events and the global log ($all) they form together.
//
// All methods are safe for concurrent use. Every I/O method takes a context;
// cancelling it abandons the call (an append that was already committed stays
// committed: retry it with the same event IDs to learn its result).
type Store interface {
	// Append writes events to the end of stream atomically, after checking
	// expected against the stream's current state. It returns the stream's next
	// revision and the global position of the last event written.
	//
	// A retry of an earlier append with the same event IDs and the same original
	// expectation writes nothing and returns the original result (see
	// IdempotencyRules in the package documentation of the adapters). A wrong
	// expectation returns an error satisfying errors.Is(err,
	// ErrWrongExpectedRevision) that unwraps to *WrongExpectedRevisionError.
	//
	// An append of zero events checks the expectation and writes nothing; its
	// result describes the stream as it stands (NextRevision 0 and Position 0 for
	// a stream without events).
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream reads up to opts.Limit events of one stream. Forwards it starts
	// at opts.From (inclusive) in ascending revision order; backwards it starts at
	// opts.From (inclusive; StreamEnd for the last event) in descending order. A
	// stream that was never written returns ErrStreamNotFound; a range beyond the
	// end of an existing stream returns no events and no error.
	ReadStream(ctx context.Context, stream string, opts ReadStreamOptions) ([]RecordedEvent, error)

	// ReadAll reads up to opts.Limit events of the global log. Forwards it starts
	// at the event at opts.From (inclusive); backwards it returns events strictly
	// before opts.From (End for the head), newest first. Events of system streams
	// (names beginning with '$') are never returned.
	ReadAll(ctx context.Context, opts ReadAllOptions) ([]RecordedEvent, error)

	// SubscribeAll delivers the global log from opts.From (exclusive) onwards:
	// first every stored event (catch-up), then a CaughtUp message, then events as
	// they are committed (live), in global order with no gap and no duplicate
	// across the switch. While filtering it also delivers Checkpoint messages so
	// a consumer whose events are rare can still advance its resume position.
	//
	// The subscription lives until ctx is cancelled, Close is called, or the
	// store fails; Recv then returns an error (ctx.Err(), ErrSubscriptionClosed or
	// an error wrapping ErrSubscriptionDropped).
	SubscribeAll(ctx context.Context, opts SubscribeOptions) (Subscription, error)

	// Close releases the store. Appends in flight finish or fail; later calls
	// return ErrClosed.
	Close() error
}

// Subscription is a live view of the global log. Recv is not safe for
// concurrent use by several goroutines; Close may be called from any goroutine.
type Subscription interface {
	// Recv blocks until the next message or the end of the subscription.
	Recv() (Message, error)
	// Close ends the subscription; a blocked Recv returns ErrSubscriptionClosed.
	Close() error
}

// MessageKind says what a subscription Message carries.
type MessageKind int

const (
	// EventAppeared carries one event in Message.Event.
	EventAppeared MessageKind = iota + 1
	// CheckpointReached carries, in Message.Position, a position up to which
	// every event has been considered by the filter. Resuming from it (as an
	// exclusive start) skips nothing the filter would have delivered.
	CheckpointReached
	// CaughtUp says that every event stored when the subscription started has
	// been delivered; what follows is live. It may be sent more than once.
	CaughtUp
)

func (k MessageKind) String() string {
	switch k {
	case EventAppeared:
		return "event"
	case CheckpointReached:
		return "checkpoint"
	case CaughtUp:
		return "caught-up"
	default:
		return "unknown"
	}
}

// Message is one delivery of a subscription.
type Message struct {
	Kind MessageKind
	// Event is set for EventAppeared.
	Event RecordedEvent
	// Position is the event's position for EventAppeared and the resume
	// position for CheckpointReached; zero for CaughtUp.
	Position Position
}

// EventData is an event proposed for appending.
type EventData struct {
	// ID identifies the event for idempotent retries. The zero ID asks the store
	// to assign a random one. A github.com/google/uuid.UUID is assignable here.
	ID [16]byte
	// Type is the event's stable type name; required, at most MaxTypeLength
	// bytes, and not beginning with '$' (reserved for system events).
	Type string
	// Data is the event's payload (JSON by Paidan's convention).
	Data []byte
	// Metadata is the event's metadata (JSON by Paidan's convention).
	Metadata []byte
}

// RecordedEvent is an event as the store keeps it.
type RecordedEvent struct {
	StreamID string
	// Revision is the event's index in its stream, from 0.
	Revision uint64
	// Position is the event's place in the global log: strictly increasing in
	// commit order. The embedded store numbers events 1, 2, 3… without gaps;
	// EventStoreDB's positions increase with gaps.
	Position Position
	ID       [16]byte
	Type     string
	Data     []byte
	Metadata []byte
	// Created is when the store committed the event, in UTC.
	Created time.Time
}

// AppendResult describes a stream right after an append.
type AppendResult struct {
	// NextRevision is the revision the stream's next event will get: the last
	// revision + 1, or 0 when the stream has no events.
	NextRevision uint64
	// Position is the global position of the last event this append wrote (or,
	// for an idempotent retry, originally wrote); for an empty append the
	// position of the stream's last event, or 0.
	Position Position
	// Wrote is true when this call stored its events. It is false for an
	// idempotent retry, for an empty append, and whenever the adapter cannot
	// tell a retry from a first write (EventStoreDB answers both alike): a
	// caller may skip checking what was stored only when it is true.
	Wrote bool
}

// WroteReporter is implemented by a store whose AppendResult.Wrote is exact:
// false only when the call stored nothing (a retry absorbed, an empty
// append). A caller may then take a false Wrote as proof that the events
// were stored by an earlier call.
type WroteReporter interface {
	ReportsWrote() bool
}

// ReportsWrote tells whether s's AppendResult.Wrote is exact (WroteReporter).
// A store that wraps another without passing this on counts as inexact,
// which is always safe.
func ReportsWrote(s Store) bool {
	w, ok := s.(WroteReporter)
	return ok && w.ReportsWrote()
}

// Expected returns the expectation under which the next append to the stream
// succeeds only if nothing was written to it in between.
func (r AppendResult) Expected() ExpectedRevision {
	return ExpectNext(r.NextRevision)
}

// Position is a place in the global log. Zero is before the first event.
type Position uint64

// Start and End are the two ends of the global log for reads and subscriptions.
const (
	Start Position = 0
	End   Position = ^Position(0)
)

// StreamStart and StreamEnd are the two ends of a stream for ReadStream.
const (
	StreamStart uint64 = 0
	StreamEnd   uint64 = ^uint64(0)
)

// Direction is the order of a read.
type Direction int

const (
	Forwards Direction = iota
	Backwards
)

func (d Direction) String() string {
	if d == Backwards {
		return "backwards"
	}
	return "forwards"
}

// ReadStreamOptions selects events of one stream.
type ReadStreamOptions struct {
	// From is the first revision to read (inclusive); StreamEnd reads backwards
	// from the last event.
	From uint64
	// Direction is Forwards (the default) or Backwards.
	Direction Direction
	// Limit caps how many events are returned; required, at least 1.
	Limit int
}

// ReadAllOptions selects events of the global log.
type ReadAllOptions struct {
	// From is where to start: forwards inclusive, backwards exclusive. Start and
	// End are the ends of the log.
	From Position
	// Direction is Forwards (the default) or Backwards.
	Direction Direction
	// Limit caps how many events are returned; required, at least 1.
	Limit int
}

// SubscribeOptions selects what a subscription delivers.
type SubscribeOptions struct {
	// From is the exclusive start: Start delivers the whole log, a position
	// delivers only events after it, End only events committed after the
	// subscription began.
	From Position
	// Filter narrows the events delivered; the zero Filter delivers all.
	Filter Filter
	// CheckpointInterval is how many considered events may pass between two
	// checkpoints while a filter is set; optional, default 32.
	CheckpointInterval int
}

// Filter selects events by stream-name prefix and/or event-type prefix. Within
// each list any prefix matches; when both lists are set an event must match
// both. Events of system streams ('$'…) are never delivered.
type Filter struct {
	StreamPrefixes []string
	TypePrefixes   []string
}

// IsZero reports whether the filter lets every event through.
func (f Filter) IsZero() bool {
	return len(f.StreamPrefixes) == 0 && len(f.TypePrefixes) == 0
}

// Match reports whether an event of the given stream and type passes the filter.
func (f Filter) Match(stream, eventType string) bool {
	return matchAny(f.StreamPrefixes, stream) && matchAny(f.TypePrefixes, eventType)
}

func matchAny(prefixes []string, s string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// DefaultCheckpointInterval is the number of considered events between two
// checkpoints of a filtered subscription when SubscribeOptions leaves it unset.
const DefaultCheckpointInterval = 32
