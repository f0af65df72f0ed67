package projections_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// droppingStore ends every subscription with ErrSubscriptionDropped after
// `after` messages, as a store that lost its connection would.
type droppingStore struct {
	eventstore.Store
	after int
	drops atomic.Int32
}

func (d *droppingStore) SubscribeAll(ctx context.Context, opts eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	sub, err := d.Store.SubscribeAll(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &droppingSub{Subscription: sub, left: d.after, store: d}, nil
}

type droppingSub struct {
	eventstore.Subscription
	left  int
	store *droppingStore
}

func (s *droppingSub) Recv() (eventstore.Message, error) {
	if s.left == 0 {
		s.store.drops.Add(1)
		return eventstore.Message{}, fmt.Errorf("test connection lost: %w", eventstore.ErrSubscriptionDropped)
	}
	s.left--
	return s.Subscription.Recv()
}

func TestSourceResumesAfterDropsWithoutGapOrDuplicate(t *testing.T) {
	mem := newMemstore(t)
	last := appendEvents(t, mem, 100, 4, "Tick")
	store := &droppingStore{Store: mem, after: 17}
	src, err := projections.NewSource(store, projections.SourceConfig{
		StartFrom:  func(context.Context, string) (eventstore.Position, error) { return 0, nil },
		MinBackoff: 1, MaxBackoff: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, err := src.Subscribe(ctx, "topic")
	if err != nil {
		t.Fatal(err)
	}
	var want eventstore.Position = 1
	for want <= last {
		msg := <-msgs
		switch msg.Metadata.Get(projections.KeyKind) {
		case projections.KindEvent:
			ev, err := projections.EventFromMessage(msg)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Position != want {
				t.Fatalf("received position %d, expected %d: a gap or a duplicate", ev.Position, want)
			}
			if ev.Type != "Tick" || ev.StreamID == "" || msg.Metadata.Get("correlation_id") != "c-1" {
				t.Fatalf("message %v: expected type Tick, a stream and the event's correlation_id c-1", msg.Metadata)
			}
			want++
		}
		msg.Ack()
	}
	if d := store.drops.Load(); d < 5 {
		t.Errorf("the store dropped %d subscriptions; expected at least 5 to exercise resuming", d)
	}
}

// committedSource subscribes to "topic" on a Source over mem that resumes
// after *committed, as a projection resumes after its checkpoint.
func committedSource(t *testing.T, mem eventstore.Store, committed *atomic.Uint64) (*projections.Source, <-chan *message.Message) {
	t.Helper()
	src, err := projections.NewSource(mem, projections.SourceConfig{
		StartFrom: func(context.Context, string) (eventstore.Position, error) {
			return eventstore.Position(committed.Load()), nil
		},
		MinBackoff: 1, MaxBackoff: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	msgs, err := src.Subscribe(ctx, "topic")
	if err != nil {
		t.Fatal(err)
	}
	return src, msgs
}

func TestSourceNackRestartsFromStartFrom(t *testing.T) {
	mem := newMemstore(t)
	appendEvents(t, mem, 10, 2, "Tick")
	var committed atomic.Uint64
	committed.Store(3)
	_, msgs := committedSource(t, mem, &committed)
	var got []eventstore.Position
	for len(got) < 6 {
		msg := <-msgs
		if msg.Metadata.Get(projections.KeyKind) != projections.KindEvent {
			msg.Ack()
			continue
		}
		p, _ := projections.MessagePosition(msg)
		got = append(got, p)
		if p == 6 && len(got) == 3 {
			committed.Store(5) // the consumer committed up to 5, then lost its batch
			msg.Nack()
			continue
		}
		msg.Ack()
	}
	want := []eventstore.Position{4, 5, 6, 6, 7, 8}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("positions delivered %v, expected %v (after a nack, resume after the committed 5)", got, want)
	}
}

// TestSourceRewindWithNothingInFlight: every message acked and the log
// quiet, a Rewind still redelivers everything after StartFrom.
func TestSourceRewindWithNothingInFlight(t *testing.T) {
	mem := newMemstore(t)
	appendEvents(t, mem, 4, 2, "Tick")
	var committed atomic.Uint64
	src, msgs := committedSource(t, mem, &committed)
	var got []eventstore.Position
	for len(got) < 6 {
		var msg *message.Message
		select {
		case msg = <-msgs:
		case <-time.After(10 * time.Second):
			t.Fatalf("positions delivered %v, then nothing for 10s", got)
		}
		kind := msg.Metadata.Get(projections.KeyKind)
		msg.Ack()
		switch kind {
		case projections.KindEvent:
			p, _ := projections.MessagePosition(msg)
			got = append(got, p)
		case projections.KindCaughtUp:
			if len(got) == 4 {
				// Everything acked, nothing more to come: the consumer
				// lost what came after 2.
				committed.Store(2)
				src.Rewind("topic")
			}
		}
	}
	want := []eventstore.Position{1, 2, 3, 4, 3, 4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("positions delivered %v, expected %v (after a rewind, resume after the committed 2)", got, want)
	}
}
