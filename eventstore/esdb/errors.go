package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paidan/paidan/eventstore"
)

// translate turns a client error into the port's errors, keeping the client
// error in the chain for diagnosis. what names the call for the message.
//
// The caller's context wins: a call abandoned by its caller reports ctx.Err()
// whatever the client made of it (it reports cancellation as
// ErrorCodeUnknown, §5).
func translate(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, eventstore.ErrClosed) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("esdb: %s: %w: %w", what, ctxErr, err)
	}
	if sentinel := sentinelOf(err); sentinel != nil {
		return fmt.Errorf("esdb: %s: %w: %w", what, sentinel, err)
	}
	return fmt.Errorf("esdb: %s: %w", what, err)
}

// sentinelOf finds the port error for a client error: by the *esdb.Error
// code, found with errors.As because the client wraps many errors in
// fmt.Errorf; then by the gRPC status inside, for what the client leaves as
// ErrorCodeUnknown or does not map at all (subscription drops).
func sentinelOf(err error) error {
	var e *esdb.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case esdb.ErrorCodeResourceNotFound:
			return eventstore.ErrStreamNotFound
		case esdb.ErrorCodeStreamDeleted:
			return eventstore.ErrStreamDeleted
		case esdb.ErrorCodeDeadlineExceeded:
			return context.DeadlineExceeded
		case esdb.ErrorUnavailable, esdb.ErrorCodeConnectionClosed:
			return eventstore.ErrUnavailable
		case esdb.ErrorCodeNotLeader:
			return eventstore.ErrNotLeader
		case esdb.ErrorCodeUnknown:
			// A send on a stream the server has already ended returns
			// io.EOF, and the client reports that without the status that
			// explains it. Seen when the connection drops mid-append; the
			// request was incomplete, so nothing was written.
			if errors.Is(err, io.EOF) {
				return eventstore.ErrUnavailable
			}
		}
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	switch st.Code() {
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Unavailable:
		return eventstore.ErrUnavailable
	case codes.InvalidArgument:
		// The server's MaxAppendSize bounds a whole append request; the
		// port's MaxEventSize only each event.
		if strings.Contains(strings.ToLower(st.Message()), "append size") {
			return eventstore.ErrEventTooLarge
		}
	}
	return nil
}

// gotRevision reads the actual revision from the client's message "wrong
// expected version: expecting '…' but got '…'": the client exposes it no
// other way, and the message, unlike a re-read, is what the server saw.
var gotRevision = regexp.MustCompile(`but got '([^']+)'`)

// wrongExpected builds the port's error for a wrong expected version. When
// the message cannot be read, actual comes from reading the stream's head.
func (s *Store) wrongExpected(ctx context.Context, stream string, expected eventstore.ExpectedRevision, err error) error {
	wev := &eventstore.WrongExpectedRevisionError{Stream: stream, Expected: expected}
	if m := gotRevision.FindStringSubmatch(err.Error()); m != nil {
		if m[1] == "no_stream" {
			wev.Actual = eventstore.NoStream()
			return wev
		}
		if n, perr := strconv.ParseUint(m[1], 10, 64); perr == nil {
			wev.Actual = eventstore.Exact(n)
			return wev
		}
	}
	next, _, herr := s.head(ctx, stream)
	if herr != nil {
		return fmt.Errorf("esdb: append to %q: %w (and reading its head failed: %w)", stream, wev, herr)
	}
	wev.Actual = eventstore.ExpectNext(next)
	return wev
}
