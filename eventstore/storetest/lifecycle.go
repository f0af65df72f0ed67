package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/paidan/paidan/eventstore"
)

var lifecycleTests = []suiteTest{
	{"CancelledContext", testCancelledContext},
	{"Close", testStoreClose},
	{"RetryAfterCancelledAppend", testRetryAfterCancel},
}

// testRetryAfterCancel: an append abandoned by cancelling its context may or
// may not have been committed; retrying it with the same IDs and the same
// expectation succeeds either way and leaves each event in the stream once.
func testRetryAfterCancel(h *harness) {
	for i := range 5 {
		stream := h.stream(fmt.Sprintf("retry-%d", i))
		evs := h.events(3, "Retried")
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := h.store.Append(ctx, stream, eventstore.NoStream(), evs...)
			done <- err
		}()
		cancel()
		select {
		case <-done:
		case <-time.After(h.f.WaitTimeout):
			h.t.Fatalf("Append did not return within %v after its context was cancelled", h.f.WaitTimeout)
		}
		res := h.mustAppend(stream, eventstore.NoStream(), evs...)
		got := h.mustReadStream(stream)
		if len(got) != len(evs) {
			h.t.Fatalf("after a cancelled append and its retry the stream holds %d events, want %d", len(got), len(evs))
		}
		for j, ev := range got {
			if ev.ID != evs[j].ID {
				h.t.Fatalf("revision %d holds %x, want %x", j, ev.ID, evs[j].ID)
			}
		}
		h.wantResult("retry result", res, resultOf(got[len(got)-1]))
	}
}

// testCancelledContext: calls made with a cancelled context fail with its
// error.
func testCancelledContext(h *harness) {
	stream := h.stream("ctx")
	h.mustAppend(stream, eventstore.NoStream(), h.event("Seed", `{}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.store.Append(ctx, stream, eventstore.Any(), h.event("Late", `{}`))
	h.wantErrIs(err, context.Canceled, "Append with a cancelled context")
	_, err = h.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Limit: 1})
	h.wantErrIs(err, context.Canceled, "ReadStream with a cancelled context")
	_, err = h.store.ReadAll(ctx, eventstore.ReadAllOptions{Limit: 1})
	h.wantErrIs(err, context.Canceled, "ReadAll with a cancelled context")

	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	_, err = h.store.Append(expired, stream, eventstore.Any(), h.event("Late", `{}`))
	h.wantErrIs(err, context.DeadlineExceeded, "Append with an expired deadline")
	_, err = h.store.ReadStream(expired, stream, eventstore.ReadStreamOptions{Limit: 1})
	h.wantErrIs(err, context.DeadlineExceeded, "ReadStream with an expired deadline")
}

// testStoreClose: closing the store ends open subscriptions with an error
// and makes every later call fail with ErrClosed.
func testStoreClose(h *harness) {
	stream := h.stream("close")
	h.mustAppend(stream, eventstore.NoStream(), h.event("Seed", `{}`))
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.End})
	s.untilCaughtUp()
	if err := h.store.Close(); err != nil {
		h.t.Fatalf("Store.Close: %v", err)
	}
	if err := s.awaitEnd(); err == nil {
		h.t.Fatal("an open subscription's Recv returned no error after the store closed")
	}

	_, err := h.append(stream, eventstore.Any(), h.event("Late", `{}`))
	h.wantErrIs(err, eventstore.ErrClosed, "Append after Close")
	_, err = h.store.ReadStream(h.ctx(), stream, eventstore.ReadStreamOptions{Limit: 1})
	h.wantErrIs(err, eventstore.ErrClosed, "ReadStream after Close")
	_, err = h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{Limit: 1})
	h.wantErrIs(err, eventstore.ErrClosed, "ReadAll after Close")
	sub, err := h.store.SubscribeAll(h.ctx(), eventstore.SubscribeOptions{From: eventstore.Start})
	if err == nil {
		// An adapter may report the closed store on the first Recv instead.
		p := h.pump(sub, func() {})
		h.t.Cleanup(p.stop)
		err = p.awaitEnd()
	}
	h.wantErrIs(err, eventstore.ErrClosed, "SubscribeAll after Close")
}
