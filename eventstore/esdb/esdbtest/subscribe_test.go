package esdbtest_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// Checks 29–32: stream subscriptions from start, from a revision
// (exclusive), from the end, and to a stream that does not exist yet.
func TestCheck29to32StreamSubscriptions(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	for _, tc := range []struct {
		name     string
		existing int
		from     esdb.StreamPosition
		// history is the revisions expected before caught-up.
		history []uint64
	}{
		{"check 29 from start", 3, esdb.Start{}, []uint64{0, 1, 2}},
		{"check 30 from revision is exclusive", 3, esdb.Revision(0), []uint64{1, 2}},
		{"check 31 from end", 3, esdb.End{}, nil},
		{"check 32 missing stream", 0, esdb.Start{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := streamName(t)
			if tc.existing > 0 {
				appendOK(t, c, stream, esdb.NoStream{}, events(tc.existing)...)
			}
			sub, err := c.SubscribeToStream(ctx(t), stream, esdb.SubscribeToStreamOptions{From: tc.from})
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			r := receive(t, sub)
			for _, want := range tc.history {
				if ev := r.nextEvent(t); ev.EventNumber != want {
					t.Fatalf("expected revision %d, found %d", want, ev.EventNumber)
				}
			}
			r.wantCaughtUp(t)
			live := event("Live")
			appendOK(t, c, stream, esdb.Any{}, live)
			ev := r.nextEvent(t)
			if ev.EventID != live.EventID || ev.EventNumber != uint64(tc.existing) {
				t.Fatalf("expected the live event at revision %d, found %s@%d", tc.existing, ev.EventType, ev.EventNumber)
			}
		})
	}
}

// Check 33: $all from start delivers what ReadAll holds, in order, then
// caught-up, then live events, with no duplicate across the switch.
func TestCheck33AllSubscriptionCatchUpThenLive(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(40)...)
	history := readAll(t, c, esdb.ReadAllOptions{}, 10000)
	sub, err := c.SubscribeToAll(ctx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	r := receive(t, sub)
	for i, want := range history {
		if got := r.nextEvent(t); got.Position != want.Position || got.EventID != want.EventID {
			t.Fatalf("event %d: expected %s@%d at %d, found %s@%d at %d", i,
				want.StreamID, want.EventNumber, want.Position.Commit, got.StreamID, got.EventNumber, got.Position.Commit)
		}
	}
	r.wantCaughtUp(t)
	appendOK(t, c, stream, esdb.Revision(39), events(2)...)
	for _, want := range []uint64{40, 41} {
		if ev := r.nextEvent(t); ev.StreamID != stream || ev.EventNumber != want {
			t.Fatalf("expected live %s@%d, found %s@%d", stream, want, ev.StreamID, ev.EventNumber)
		}
	}
}

// Check 34: server-side filters; checkpoints never decrease and one comes
// before the first caught-up.
func TestCheck34FilteredAllSubscription(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	acc := "acc-" + streamName(t)
	other := "other-" + streamName(t)
	for range 20 {
		appendOK(t, c, acc, esdb.Any{}, event("Deposited"))
		appendOK(t, c, other, esdb.Any{}, events(3)...)
	}
	var m esdb.StreamMetadata
	m.SetMaxCount(5)
	if _, err := c.SetStreamMetadata(ctx(t), acc, esdb.AppendToStreamOptions{}, m); err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	for _, tc := range []struct {
		name   string
		filter *esdb.SubscriptionFilter
		want   func(*esdb.RecordedEvent) bool
		count  int
	}{
		{"stream prefix", &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"acc-"}},
			func(e *esdb.RecordedEvent) bool { return strings.HasPrefix(e.StreamID, "acc-") }, 20},
		{"exclude system events", esdb.ExcludeSystemEventsFilter(),
			func(e *esdb.RecordedEvent) bool { return !strings.HasPrefix(e.EventType, "$") }, 80},
		{"event type prefix", &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: []string{"Depo"}},
			func(e *esdb.RecordedEvent) bool { return e.EventType == "Deposited" }, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := c.SubscribeToAll(ctx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: tc.filter, MaxSearchWindow: 8})
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			r := receive(t, sub)
			var last uint64
			checkpoints, delivered := 0, 0
			for {
				ev := r.next(t)
				if ev.CaughtUp != nil {
					break
				}
				switch {
				case ev.CheckPointReached != nil:
					if ev.CheckPointReached.Commit < last {
						t.Fatalf("checkpoint %d went back from %d", ev.CheckPointReached.Commit, last)
					}
					last = ev.CheckPointReached.Commit
					checkpoints++
				case ev.EventAppeared != nil:
					e := ev.EventAppeared.OriginalEvent()
					if !tc.want(e) {
						t.Fatalf("the filter let %s of %s through", e.EventType, e.StreamID)
					}
					delivered++
				default:
					t.Fatalf("unexpected %s", describe(ev))
				}
			}
			if checkpoints == 0 {
				t.Fatal("expected at least one checkpoint before caught-up, found none")
			}
			if delivered != tc.count {
				t.Fatalf("expected %d events, found %d", tc.count, delivered)
			}
		})
	}
}

// Check 35: the subscription has an id; Close drops it without I/O and the
// server sees the call cancelled.
func TestCheck35CloseCancelsOnServer(t *testing.T) {
	t.Parallel()
	ended := make(chan error, 1)
	srv := startServer(t, esdbtest.Config{OnSubscriptionEnd: func(_ string, err error) { ended <- err }})
	c := newClient(t, srv.URL())
	sub, err := c.SubscribeToAll(ctx(t), esdb.SubscribeToAllOptions{})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if sub.Id() == "" {
		t.Fatal("expected a subscription id, found none")
	}
	if err := sub.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if ev := sub.Recv(); ev.SubscriptionDropped == nil {
		t.Fatalf("expected a drop after Close, found %s", describe(ev))
	}
	select {
	case err := <-ended:
		if err != context.Canceled {
			t.Fatalf("expected the server to see context.Canceled, found %v", err)
		}
	case <-time.After(wait):
		t.Fatal("the server did not see the subscription end")
	}
}

// The real server's quirk, when asked for: a filtered subscription from the
// start that delivered nothing during catch-up gets (MaxUint64, MaxUint64)
// and no smaller checkpoint afterwards.
func TestMaxCheckpointAfterEmptyCatchUp(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{MaxCheckpointAfterEmptyCatchUp: true})
	c := newClient(t, srv.URL())
	appendOK(t, c, "other-"+streamName(t), esdb.NoStream{}, events(5)...)
	filter := &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"acc-"}}
	sub, err := c.SubscribeToAll(ctx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}, Filter: filter, MaxSearchWindow: 4})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	r := receive(t, sub)
	var last uint64
	for ev := r.next(t); ev.CaughtUp == nil; ev = r.next(t) {
		if ev.CheckPointReached == nil {
			t.Fatalf("expected only checkpoints before caught-up, found %s", describe(ev))
		}
		last = ev.CheckPointReached.Commit
	}
	if last != math.MaxUint64 {
		t.Fatalf("expected the checkpoint before caught-up to be MaxUint64, found %d", last)
	}
	appendOK(t, c, "other-"+streamName(t), esdb.NoStream{}, events(12)...)
	acc := "acc-" + streamName(t)
	appendOK(t, c, acc, esdb.NoStream{}, event("Deposited"))
	if ev := r.next(t); ev.EventAppeared == nil || ev.EventAppeared.OriginalEvent().StreamID != acc {
		t.Fatalf("expected the %s event with no checkpoint before it, found %s", acc, describe(ev))
	}
}
