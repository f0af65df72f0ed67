package esdb_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// TestConcurrentCallsDuringOutage: many callers at once while the server is
// down. The v4.2.0 client serves connection requests on one goroutine over
// an unbuffered channel and that goroutine exits for good when discovery
// fails, so callers queued behind a failing discovery would wait forever,
// and closing that client would make them panic. Every call must come back
// (ErrUnavailable), the store must work after the restart, and closing it
// must not panic.
func TestConcurrentCallsDuringOutage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	store := openStore(t, faultURL(srv))
	if _, err := store.Append(bounded(t), "order-warm", eventstore.NoStream(), ev("Placed", `{}`)); err != nil {
		t.Fatalf("warm-up append: %v", err)
	}
	srv.Stop()
	const callers, rounds = 16, 4
	errs := make(chan error, callers*rounds)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			for j := range rounds {
				_, err := store.Append(bounded(t), fmt.Sprintf("order-%d-%d", i, j), eventstore.Any(), ev("Placed", `{}`))
				errs <- err
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	waitFor(t, done, "every caller to return during the outage")
	close(errs)
	for err := range errs {
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("expected ErrUnavailable during the outage, found %v", err)
		}
	}
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if _, err := store.Append(bounded(t), "order-after", eventstore.NoStream(), ev("Placed", `{}`)); err != nil {
		t.Fatalf("append after the restart: %v", err)
	}
	if err := store.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}
