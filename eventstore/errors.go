package eventstore

import (
	"errors"
	"fmt"
)

// Sentinel errors of the port. Adapters wrap them (with %w) so callers test
// with errors.Is; they never leak driver errors that callers would have to know.
var (
	// ErrWrongExpectedRevision: the stream was not in the expected state. The
	// error unwraps to *WrongExpectedRevisionError with the details.
	ErrWrongExpectedRevision = errors.New("wrong expected revision")
	// ErrStreamNotFound: the stream has never been written.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrStreamDeleted: the stream was deleted in the underlying store.
	ErrStreamDeleted = errors.New("stream deleted")
	// ErrEventTooLarge: an event's data and metadata exceed MaxEventSize.
	ErrEventTooLarge = errors.New("event too large")
	// ErrInvalidEvent: an event or stream name breaks the port's rules (empty
	// type, reserved names, over-long names).
	ErrInvalidEvent = errors.New("invalid event")
	// ErrInvalidRequest: read or subscription options out of range.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrUnavailable: the store cannot be reached now; the call may succeed later.
	ErrUnavailable = errors.New("event store unavailable")
	// ErrNotLeader: the node reached is not the cluster leader; retry.
	ErrNotLeader = errors.New("event store node is not the leader")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("event store closed")
	// ErrSubscriptionClosed: the subscription's Close was called.
	ErrSubscriptionClosed = errors.New("subscription closed")
	// ErrSubscriptionDropped: the store ended the subscription (for example it
	// became unreachable); resubscribe from the last position seen.
	ErrSubscriptionDropped = errors.New("subscription dropped")
)

// Size limits every adapter enforces before writing anything.
const (
	// MaxEventSize bounds len(Data)+len(Metadata) of one event: 1 MiB, the
	// default MaxAppendSize of EventStoreDB.
	MaxEventSize = 1 << 20
	// MaxStreamNameLength bounds a stream name in bytes.
	MaxStreamNameLength = 512
	// MaxTypeLength bounds an event type name in bytes.
	MaxTypeLength = 256
)

// WrongExpectedRevisionError reports what an append expected and what it found.
type WrongExpectedRevisionError struct {
	Stream   string
	Expected ExpectedRevision
	// Actual is the stream's state: NoStream() when it has no events, otherwise
	// Exact(last revision).
	Actual ExpectedRevision
}

func (e *WrongExpectedRevisionError) Error() string {
	return fmt.Sprintf("stream %q: wrong expected revision: expected %s, found %s",
		e.Stream, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrWrongExpectedRevision) true.
func (e *WrongExpectedRevisionError) Is(target error) bool {
	return target == ErrWrongExpectedRevision
}

// ActualNext returns the stream's next revision as the error saw it.
func (e *WrongExpectedRevisionError) ActualNext() uint64 {
	if r, ok := e.Actual.Revision(); ok {
		return r + 1
	}
	return 0
}

// ValidateAppend checks a proposed append against the port's rules, so every
// adapter refuses the same input with the same error before writing anything.
func ValidateAppend(stream string, events []EventData) error {
	if err := ValidateStreamName(stream); err != nil {
		return err
	}
	for i, ev := range events {
		switch {
		case ev.Type == "":
			return fmt.Errorf("%w: event %d of stream %q has an empty type", ErrInvalidEvent, i, stream)
		case len(ev.Type) > MaxTypeLength:
			return fmt.Errorf("%w: event %d of stream %q: type is %d bytes, at most %d are allowed",
				ErrInvalidEvent, i, stream, len(ev.Type), MaxTypeLength)
		case ev.Type[0] == '$':
			return fmt.Errorf("%w: event %d of stream %q: type %q begins with '$', which is reserved for system events",
				ErrInvalidEvent, i, stream, ev.Type)
		}
		if size := len(ev.Data) + len(ev.Metadata); size > MaxEventSize {
			return fmt.Errorf("%w: event %d (%s) of stream %q is %d bytes of data and metadata, at most %d are allowed",
				ErrEventTooLarge, i, ev.Type, stream, size, MaxEventSize)
		}
	}
	return nil
}

// ValidateStreamName checks a stream name against the port's rules.
func ValidateStreamName(stream string) error {
	switch {
	case stream == "":
		return fmt.Errorf("%w: empty stream name", ErrInvalidEvent)
	case len(stream) > MaxStreamNameLength:
		return fmt.Errorf("%w: stream name is %d bytes, at most %d are allowed",
			ErrInvalidEvent, len(stream), MaxStreamNameLength)
	case stream[0] == '$':
		return fmt.Errorf("%w: stream name %q begins with '$', which is reserved for system streams",
			ErrInvalidEvent, stream)
	}
	return nil
}

// ValidateLimit checks the Limit of a read.
func ValidateLimit(limit int) error {
	if limit < 1 {
		return fmt.Errorf("%w: read limit must be at least 1, got %d", ErrInvalidRequest, limit)
	}
	return nil
}
