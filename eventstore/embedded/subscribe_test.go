package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
)

// recv fails the test instead of hanging when the subscription stalls.
func recv(t *testing.T, sub eventstore.Subscription) eventstore.Message {
	t.Helper()
	type result struct {
		m   eventstore.Message
		err error
	}
	ch := make(chan result, 1)
	go func() {
		m, err := sub.Recv()
		ch <- result{m, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Recv: %v", r.err)
		}
		return r.m
	case <-time.After(10 * time.Second):
		t.Fatal("Recv: no message within 10s")
		return eventstore.Message{}
	}
}

// TestSubscriptionAcrossRingAndFile catches up through the file (the ring is
// far smaller than the history) while writers keep appending, and must see
// every event exactly once in position order across the switch to live.
func TestSubscriptionAcrossRingAndFile(t *testing.T) {
	tests := []struct {
		name string
		cfg  embedded.Config
	}{
		{"tiny ring and pages", embedded.Config{RingEvents: 4, SubscriptionPage: 3}},
		{"defaults", embedded.Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "events.db"), tt.cfg)
			ctx := context.Background()
			for i := range 100 {
				if _, err := s.Append(ctx, fmt.Sprintf("before-%d", i%7), eventstore.Any(), event("Happened")); err != nil {
					t.Fatal(err)
				}
			}
			sub, err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()

			const writers, each = 4, 50
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for range each {
						if _, err := s.Append(ctx, fmt.Sprintf("live-%d", w), eventstore.Any(), event("Happened"), event("Happened")); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			total := 100 + writers*each*2
			var want eventstore.Position = 1
			caughtUp := false
			for want <= eventstore.Position(total) {
				m := recv(t, sub)
				switch m.Kind {
				case eventstore.CaughtUp:
					if want <= 100 {
						t.Fatalf("caught-up after position %d, before the 100 events stored at subscribe time", want-1)
					}
					caughtUp = true
				case eventstore.EventAppeared:
					if m.Event.Position != want {
						t.Fatalf("got position %d, expected %d", m.Event.Position, want)
					}
					want++
				default:
					t.Fatalf("unexpected %v on an unfiltered subscription", m.Kind)
				}
			}
			wg.Wait()
			if !caughtUp {
				m := recv(t, sub)
				if m.Kind != eventstore.CaughtUp {
					t.Errorf("after every event: %v, expected caught-up", m.Kind)
				}
			}
		})
	}
}

func TestFilteredSubscriptionCheckpoints(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{RingEvents: 8, SubscriptionPage: 5})
	ctx := context.Background()
	for i := range 40 {
		stream := "other-1"
		if i%10 == 0 {
			stream = "order-1"
		}
		if _, err := s.Append(ctx, stream, eventstore.Any(), event("Happened")); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{
		Filter:             eventstore.Filter{StreamPrefixes: []string{"order-"}},
		CheckpointInterval: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	var got []string
	for {
		m := recv(t, sub)
		if m.Kind == eventstore.CaughtUp {
			break
		}
		got = append(got, fmt.Sprintf("%v@%d", m.Kind, m.Position))
	}
	want := []string{"event@1", "event@11", "checkpoint@16", "event@21", "event@31", "checkpoint@32", "checkpoint@40"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("catch-up delivered %v, expected %v", got, want)
	}

	// Live: a matching event arrives, and so does the checkpoint after 16
	// more considered events.
	for i := range 16 {
		stream := "other-1"
		if i == 3 {
			stream = "order-2"
		}
		if _, err := s.Append(ctx, stream, eventstore.Any(), event("Happened")); err != nil {
			t.Fatal(err)
		}
	}
	if m := recv(t, sub); m.Kind != eventstore.EventAppeared || m.Event.StreamID != "order-2" || m.Position != 44 {
		t.Errorf("live: got %v %q@%d, expected order-2's event at 44", m.Kind, m.Event.StreamID, m.Position)
	}
	if m := recv(t, sub); m.Kind != eventstore.CheckpointReached || m.Position != 48 {
		t.Errorf("live: got %v@%d, expected a checkpoint at 48", m.Kind, m.Position)
	}
}

func TestSubscriptionEnds(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	tests := []struct {
		name string
		end  func(sub eventstore.Subscription, cancel context.CancelFunc)
		want error
	}{
		{"Close", func(sub eventstore.Subscription, _ context.CancelFunc) { _ = sub.Close() }, eventstore.ErrSubscriptionClosed},
		{"context cancelled", func(_ eventstore.Subscription, cancel context.CancelFunc) { cancel() }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sub, err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{From: eventstore.End})
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			if m := recv(t, sub); m.Kind != eventstore.CaughtUp {
				t.Fatalf("first message %v, expected caught-up", m.Kind)
			}
			done := make(chan error, 1)
			go func() {
				_, err := sub.Recv()
				done <- err
			}()
			tt.end(sub, cancel)
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) {
					t.Errorf("Recv returned %v, expected %v", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Recv did not return within 10s")
			}
			if _, err := sub.Recv(); !errors.Is(err, tt.want) {
				t.Errorf("a later Recv returned %v, expected %v again", err, tt.want)
			}
		})
	}
}
