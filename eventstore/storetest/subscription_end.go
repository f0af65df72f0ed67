package storetest

import (
	"context"
	"errors"
	"time"

	"github.com/paidan/paidan/eventstore"
)

var subscriptionEndTests = []suiteTest{
	{"CloseEndsRecv", testCloseEndsRecv},
	{"CancelEndsRecv", testCancelEndsRecv},
	{"CancelledBeforeSubscribe", testCancelledBeforeSubscribe},
}

// awaitEnd skips messages until Recv returns an error and returns it; a
// shared log may still deliver foreign events first.
func (s *subscriber) awaitEnd() error {
	s.h.t.Helper()
	for {
		m, err := s.next()
		if err != nil {
			return err
		}
		if m.Kind == eventstore.EventAppeared && s.h.own(m.Event) {
			s.h.t.Fatalf("unexpected own event %s@%d while awaiting the end", m.Event.StreamID, m.Event.Revision)
		}
	}
}

// recvAgain calls Recv once more after the subscription ended: it must
// return an error again, not block.
func (s *subscriber) recvAgain() error {
	s.h.t.Helper()
	ch := make(chan error, 1)
	go func() {
		_, err := s.sub.Recv()
		ch <- err
	}()
	select {
	case err := <-ch:
		if err == nil {
			s.h.t.Fatal("Recv after the end of the subscription returned a message")
		}
		return err
	case <-time.After(s.h.f.WaitTimeout):
		s.h.t.Fatalf("Recv after the end of the subscription blocked for %v", s.h.f.WaitTimeout)
		return nil
	}
}

// testCloseEndsRecv: Close ends a blocked Recv with ErrSubscriptionClosed,
// and every later Recv fails too; closing twice is harmless.
func testCloseEndsRecv(h *harness) {
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.End})
	s.untilCaughtUp()
	// The pump is now blocked in Recv (or about to be): Close must free it.
	if err := s.sub.Close(); err != nil {
		h.t.Fatalf("Subscription.Close: %v", err)
	}
	err := s.awaitEnd()
	h.wantErrIs(err, eventstore.ErrSubscriptionClosed, "Recv after Close")
	h.wantErrIs(s.recvAgain(), eventstore.ErrSubscriptionClosed, "second Recv after Close")
	_ = s.sub.Close()
}

// testCancelEndsRecv: cancelling the subscription's context ends a blocked
// Recv with the context's error.
func testCancelEndsRecv(h *harness) {
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.End})
	s.untilCaughtUp()
	s.cancel()
	err := s.awaitEnd()
	h.wantErrIs(err, context.Canceled, "Recv after the subscription's context was cancelled")
	if err := s.recvAgain(); !errors.Is(err, context.Canceled) {
		h.t.Fatalf("second Recv after cancellation returned %v, want an error wrapping context.Canceled", err)
	}
}

// testCancelledBeforeSubscribe: a context cancelled before SubscribeAll
// fails either SubscribeAll or the first Recv with the context's error.
func testCancelledBeforeSubscribe(h *harness) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sub, err := h.store.SubscribeAll(ctx, eventstore.SubscribeOptions{From: eventstore.Start})
	if err != nil {
		h.wantErrIs(err, context.Canceled, "SubscribeAll with a cancelled context")
		return
	}
	s := h.pump(sub, cancel)
	h.t.Cleanup(s.stop)
	h.wantErrIs(s.awaitEnd(), context.Canceled, "Recv of a subscription made with a cancelled context")
}
