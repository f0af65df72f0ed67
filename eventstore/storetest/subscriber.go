package storetest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// subscriber pumps a subscription's Recv in a goroutine of its own so that
// the test can wait for each message with a deadline: a broken adapter then
// fails the test instead of hanging it.
type subscriber struct {
	h      *harness
	sub    eventstore.Subscription
	cancel context.CancelFunc
	out    chan received
	quit   chan struct{}
	done   chan struct{}
	ended  bool // Recv returned an error, already taken by the test

	// What every message is checked against, whoever's event it carries.
	filter         eventstore.Filter
	lastEvent      eventstore.Position
	lastCheckpoint eventstore.Position
	checkpointSeen bool
	// waiting says what the test awaits, for the failure message of a wait
	// that times out.
	waiting func() string
}

type received struct {
	msg eventstore.Message
	err error
}

// subscribe opens a subscription bounded by the test's life (not by
// WaitTimeout: a subscription may legitimately live longer than one call).
// It is closed, and its pump awaited, when the test ends.
func (h *harness) subscribe(opts eventstore.SubscribeOptions) *subscriber {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	type opened struct {
		sub eventstore.Subscription
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		sub, err := h.store.SubscribeAll(ctx, opts)
		ch <- opened{sub, err}
	}()
	var sub eventstore.Subscription
	var err error
	select {
	case o := <-ch:
		sub, err = o.sub, o.err
	case <-time.After(h.f.WaitTimeout):
		cancel()
		h.t.Fatalf("SubscribeAll(from %d) did not return within %v", opts.From, h.f.WaitTimeout)
	}
	if err != nil {
		cancel()
		h.t.Fatalf("SubscribeAll(from %d, filter %+v): unexpected error %v", opts.From, opts.Filter, err)
	}
	s := h.pump(sub, cancel)
	s.filter = opts.Filter
	h.t.Cleanup(s.stop)
	return s
}

func (h *harness) pump(sub eventstore.Subscription, cancel context.CancelFunc) *subscriber {
	s := &subscriber{h: h, sub: sub, cancel: cancel, out: make(chan received), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			m, err := sub.Recv()
			select {
			case s.out <- received{m, err}:
			case <-s.quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// stop closes the subscription and checks that the pump's Recv returned.
func (s *subscriber) stop() {
	close(s.quit)
	_ = s.sub.Close()
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(s.h.f.WaitTimeout):
		s.h.t.Errorf("Recv did not return within %v after the subscription was closed and its context cancelled", s.h.f.WaitTimeout)
	}
}

// next waits for the next message or error.
func (s *subscriber) next() (eventstore.Message, error) {
	s.h.t.Helper()
	if s.ended {
		s.h.t.Fatal("storetest: next called after the subscription ended")
	}
	select {
	case r := <-s.out:
		if r.err != nil {
			s.ended = true
		}
		return r.msg, r.err
	case <-time.After(s.h.f.WaitTimeout):
		what := ""
		if s.waiting != nil {
			what = " (" + s.waiting() + ")"
		}
		s.h.t.Fatalf("no subscription message within %v%s", s.h.f.WaitTimeout, what)
		panic("unreachable")
	}
}

// nextOwn returns the next message that is not a foreign event (an event
// outside the test's streams). On every message, foreign or not, it checks
// the subscription's invariants: event positions increase strictly, an
// event's Position matches its Message.Position, only events the filter
// matches and no system events arrive, checkpoints never decrease. It fails
// the test on a Recv error.
func (s *subscriber) nextOwn() eventstore.Message {
	s.h.t.Helper()
	for {
		m, err := s.next()
		if err != nil {
			s.h.t.Fatalf("subscription ended with %v while the test awaited messages", err)
		}
		switch m.Kind {
		case eventstore.EventAppeared:
			ev := m.Event
			if m.Position != ev.Position {
				s.h.t.Fatalf("EventAppeared message has Position %d but carries an event at %d", m.Position, ev.Position)
			}
			if ev.Position <= s.lastEvent {
				s.h.t.Fatalf("event %s@%d at position %d delivered after one at %d; positions must increase",
					ev.StreamID, ev.Revision, ev.Position, s.lastEvent)
			}
			s.lastEvent = ev.Position
			if strings.HasPrefix(ev.StreamID, "$") || !s.filter.Match(ev.StreamID, ev.Type) {
				s.h.t.Fatalf("event %s@%d of type %q delivered, which filter %+v excludes", ev.StreamID, ev.Revision, ev.Type, s.filter)
			}
			if !s.h.own(ev) {
				continue
			}
		case eventstore.CheckpointReached:
			if s.checkpointSeen && m.Position < s.lastCheckpoint {
				s.h.t.Fatalf("checkpoint %d follows checkpoint %d; checkpoints must never decrease", m.Position, s.lastCheckpoint)
			}
			s.checkpointSeen, s.lastCheckpoint = true, m.Position
		case eventstore.CaughtUp:
		default:
			s.h.t.Fatalf("subscription delivered a message of unknown kind %d", m.Kind)
		}
		return m
	}
}

// collect gathers the test's events until n have arrived, with the
// checkpoints and caught-up signals seen on the way, in order.
func (s *subscriber) collect(n int) (events []eventstore.RecordedEvent, log []eventstore.Message) {
	s.h.t.Helper()
	s.waiting = func() string {
		return fmt.Sprintf("awaiting %d events of the test, received %d, the last at position %d", n, len(events), s.lastEvent)
	}
	defer func() { s.waiting = nil }()
	for len(events) < n {
		m := s.nextOwn()
		log = append(log, m)
		if m.Kind == eventstore.EventAppeared {
			events = append(events, m.Event)
		}
	}
	return events, log
}

// untilCaughtUp gathers the test's events up to the first CaughtUp.
func (s *subscriber) untilCaughtUp() (events []eventstore.RecordedEvent, log []eventstore.Message) {
	s.h.t.Helper()
	s.waiting = func() string {
		return fmt.Sprintf("awaiting CaughtUp after %d events of the test, the last at position %d", len(events), s.lastEvent)
	}
	defer func() { s.waiting = nil }()
	for {
		m := s.nextOwn()
		log = append(log, m)
		switch m.Kind {
		case eventstore.EventAppeared:
			events = append(events, m.Event)
		case eventstore.CaughtUp:
			return events, log
		}
	}
}
