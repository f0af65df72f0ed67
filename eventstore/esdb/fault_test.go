package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// faultURL shortens the client's discovery (3 attempts instead of 10) so an
// outage costs each call a fraction of a second rather than over a second.
func faultURL(srv *esdbtest.Server) string {
	return srv.URL() + "&maxDiscoverAttempts=3&discoveryInterval=50"
}

// bounded is a context for one call that must not hang the test.
func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// eventID derives a deterministic ID, so a retry is recognisably the same
// append.
func eventID(stream string, i int) [16]byte {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s/%d", stream, i))
}

// TestFaultAppendsAcrossRestart: a writer appends one event at a time and
// retries each with the same ID and expectation until it is acknowledged.
// The server stops mid-run and comes back: every failure during the outage is
// ErrUnavailable, the appends succeed again afterwards, and every event is in
// the stream exactly once and in order (an append committed just before the
// stop but not acknowledged is absorbed by the server's idempotency).
func TestFaultAppendsAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	store := openStore(t, faultURL(srv))
	stream := "order-fault-" + uuid.NewString()
	const total, stopAt, failuresBeforeRestart = 40, 15, 3

	acked := make(chan int, total)
	failed := make(chan error, 1000)
	done := make(chan error, 1)
	go func() {
		for i := range total {
			for {
				_, err := store.Append(bounded(t), stream, eventstore.ExpectNext(uint64(i)), eventstore.EventData{
					ID: eventID(stream, i), Type: "OrderPlaced", Data: fmt.Appendf(nil, `{"i":%d}`, i),
				})
				if err == nil {
					break
				}
				if !errors.Is(err, eventstore.ErrUnavailable) {
					done <- fmt.Errorf("append %d: expected success or ErrUnavailable, found %w", i, err)
					return
				}
				failed <- err
			}
			acked <- i
		}
		done <- nil
	}()

	for i := range stopAt {
		if got := waitFor(t, acked, "acknowledged append"); got != i {
			t.Fatalf("expected append %d to be acknowledged, found %d", i, got)
		}
	}
	srv.Stop()
	for range failuresBeforeRestart {
		waitFor(t, failed, "failed append during the outage")
	}
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := waitFor(t, done, "writer to finish"); err != nil {
		t.Fatal(err)
	}

	evs, err := store.ReadStream(bounded(t), stream, eventstore.ReadStreamOptions{Limit: 1000})
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(evs) != total {
		t.Fatalf("expected %d events exactly once, found %d", total, len(evs))
	}
	for i, ev := range evs {
		if ev.Revision != uint64(i) || ev.ID != eventID(stream, i) {
			t.Fatalf("revision %d: expected event %d, found revision %d with another ID", i, i, ev.Revision)
		}
	}
}

// TestFaultSubscriptionAcrossRestart: a consumer of $all loses its
// subscription when the server stops (an error wrapping both
// ErrSubscriptionDropped and ErrUnavailable), resubscribes from the last
// position it processed until the server is back, and ends up with every
// event exactly once, in order.
func TestFaultSubscriptionAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	store := openStore(t, faultURL(srv))
	stream := "order-sub-" + uuid.NewString()
	const before, after = 30, 30
	appendRange(t, store, stream, 0, before)

	got := make(chan eventstore.RecordedEvent, before+after)
	dropped := make(chan error, 1)
	resubscribeFailed := make(chan error, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	consumerErr := make(chan error, 1)
	go func() {
		consumerErr <- consume(ctx, store, got, dropped, resubscribeFailed)
	}()

	var seen []eventstore.RecordedEvent
	for len(seen) < 10 {
		seen = append(seen, waitFor(t, got, "event before the stop"))
	}
	srv.Stop()
	err := waitFor(t, dropped, "subscription drop")
	if !errors.Is(err, eventstore.ErrSubscriptionDropped) || !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("expected the drop to wrap ErrSubscriptionDropped and ErrUnavailable, found %v", err)
	}
	if err := waitFor(t, resubscribeFailed, "failed resubscription during the outage"); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("expected resubscribing during the outage to fail with ErrUnavailable, found %v", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	appendRange(t, store, stream, before, after)
	for len(seen) < before+after {
		seen = append(seen, waitFor(t, got, "event after the restart"))
	}
	for i, ev := range seen {
		if ev.StreamID != stream || ev.Revision != uint64(i) {
			t.Fatalf("event %d: expected %s@%d, found %s@%d", i, stream, i, ev.StreamID, ev.Revision)
		}
	}
	select {
	case ev := <-got:
		t.Fatalf("expected no more events, found %s@%d", ev.StreamID, ev.Revision)
	default:
	}
	cancel()
	if err := waitFor(t, consumerErr, "consumer to stop"); !errors.Is(err, context.Canceled) {
		t.Fatalf("expected the consumer to end with context.Canceled, found %v", err)
	}
}

// consume is the consumer a projection runs: it subscribes from its last
// position, and after a drop resubscribes from that position again.
func consume(ctx context.Context, store eventstore.Store, out chan<- eventstore.RecordedEvent, dropped, resubscribeFailed chan<- error) error {
	last := eventstore.Start
	for {
		sub, err := store.SubscribeAll(ctx, eventstore.SubscribeOptions{From: last})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			select {
			case resubscribeFailed <- err:
			default:
			}
			continue
		}
		for {
			m, err := sub.Recv()
			if err != nil {
				_ = sub.Close()
				if ctx.Err() != nil {
					return ctx.Err()
				}
				select {
				case dropped <- err:
				default:
				}
				break
			}
			if m.Kind == eventstore.EventAppeared {
				out <- m.Event
				last = m.Position
			}
		}
	}
}

func appendRange(t *testing.T, store eventstore.Store, stream string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := store.Append(bounded(t), stream, eventstore.ExpectNext(uint64(i)), eventstore.EventData{
			ID: eventID(stream, i), Type: "OrderPlaced", Data: []byte(`{}`),
		}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("waited 30 s for %s", what)
		var zero T
		return zero
	}
}
