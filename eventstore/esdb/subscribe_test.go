package esdb_test

import (
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// TestSubscribeDropsMaxCheckpoint: a real server ends an empty filtered
// catch-up with the checkpoint MaxUint64. Passed on, it would equal
// eventstore.End, and a consumer resuming from it would skip everything; the
// adapter drops it and still delivers what follows.
func TestSubscribeDropsMaxCheckpoint(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{MaxCheckpointAfterEmptyCatchUp: true})
	store := openStore(t, srv.URL())
	appendRange(t, store, "other-1", 0, 3)
	sub, err := store.SubscribeAll(bounded(t), eventstore.SubscribeOptions{
		From:   eventstore.Start,
		Filter: eventstore.Filter{StreamPrefixes: []string{"acc-"}},
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	msgs := make(chan eventstore.Message, 16)
	go func() {
		for {
			m, err := sub.Recv()
			if err != nil {
				close(msgs)
				return
			}
			msgs <- m
		}
	}()
	next := func() eventstore.Message {
		t.Helper()
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatal("the subscription ended")
			}
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("no message within 10 s")
			return eventstore.Message{}
		}
	}
	for m := next(); m.Kind != eventstore.CaughtUp; m = next() {
		if m.Kind == eventstore.CheckpointReached && m.Position == eventstore.End {
			t.Fatal("the adapter passed on the server's MaxUint64 checkpoint")
		}
	}
	appendRange(t, store, "acc-1", 0, 1)
	if m := next(); m.Kind != eventstore.EventAppeared || m.Event.StreamID != "acc-1" {
		t.Fatalf("expected the acc-1 event, found a %s message", m.Kind)
	}
}
