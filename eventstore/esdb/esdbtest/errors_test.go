package esdbtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// Check 38: a deadline that has passed is DeadlineExceeded, found with
// errors.As only (esdb.FromError sees the wrapper); a cancelled context is
// ErrorCodeUnknown.
func TestCheck38DeadlinesAndCancellation(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	appendOK(t, c, streamName(t), esdb.Any{}, event("Warm"))
	tiny := time.Nanosecond
	_, err := c.AppendToStream(ctx(t), streamName(t), esdb.AppendToStreamOptions{Deadline: &tiny}, event("Late"))
	wantCode(t, err, esdb.ErrorCodeDeadlineExceeded)
	if e, _ := esdb.FromError(err); e.Code() != esdb.ErrorCodeUnknown {
		t.Fatalf("expected FromError to report ErrorCodeUnknown for the wrapped error, found %d", e.Code())
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.AppendToStream(cancelled, streamName(t), esdb.AppendToStreamOptions{}, event("Cancelled"))
	wantCode(t, err, esdb.ErrorCodeUnknown)
}
