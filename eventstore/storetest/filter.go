package storetest

import (
	"fmt"
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var filterTests = []suiteTest{
	{"Prefixes", testFilterPrefixes},
	{"CheckpointsResume", testFilterCheckpointsResume},
	{"DefaultInterval", testFilterDefaultInterval},
}

// testFilterPrefixes: stream-prefix, type-prefix and combined filters
// deliver exactly the matching events, in history and live.
func testFilterPrefixes(h *harness) {
	type plan struct{ stream, typ string }
	history := []plan{{"acc-1", "Xa"}, {"ord-1", "Xa"}, {"acc-1", "Yb"}, {"acc-2", "Yb"}, {"ord-1", "Yb"}, {"acc-2", "Xc"}}
	live := []plan{{"ord-2", "Xa"}, {"acc-3", "Yb"}, {"acc-3", "Xa"}, {"ord-2", "Yb"}}
	write := func(h *harness, plans []plan) []eventstore.RecordedEvent {
		var out []eventstore.RecordedEvent
		for _, p := range plans {
			s := h.stream(p.stream)
			h.mustAppend(s, eventstore.Any(), h.event(p.typ, `{}`))
			evs := h.mustReadStream(s)
			out = append(out, evs[len(evs)-1])
		}
		return out
	}
	cases := []struct {
		name          string
		streams, typs []string // without the test's prefixes
	}{
		{"stream", []string{"acc-"}, nil},
		{"streams", []string{"acc-", "ord-2"}, nil},
		{"type", nil, []string{"X"}},
		{"types", nil, []string{"Xa", "Y"}},
		{"stream_and_type", []string{"acc-"}, []string{"X"}},
		{"no_match", []string{"none-"}, nil},
	}
	for _, tc := range cases {
		h.t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			f := eventstore.Filter{}
			for _, p := range tc.streams {
				f.StreamPrefixes = append(f.StreamPrefixes, h.stream(p))
			}
			for _, p := range tc.typs {
				f.TypePrefixes = append(f.TypePrefixes, h.typ(p))
			}
			matching := func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
				var out []eventstore.RecordedEvent
				for _, ev := range evs {
					if f.Match(ev.StreamID, ev.Type) {
						out = append(out, ev)
					}
				}
				return out
			}
			hist := write(h, history)
			s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.Start, Filter: f, CheckpointInterval: 2})
			got, log := s.untilCaughtUp()
			h.wantSameEvents("filtered history", got, matching(hist))
			h.wantCheckpointBeforeCaughtUp(log, hist[len(hist)-1].Position)

			liveEvs := write(h, live)
			want := matching(liveEvs)
			gotLive, _ := s.collect(len(want))
			h.wantSameEvents("filtered live events", gotLive, want)
			if len(want) == 0 {
				// Nothing may arrive: a matching sentinel must come next.
				sentinel := eventstore.EventData{ID: newID(), Type: h.typ("Sentinel")}
				f2 := h.stream("none-sentinel")
				h.mustAppend(f2, eventstore.NoStream(), sentinel)
				next, _ := s.collect(1)
				if next[0].ID != sentinel.ID {
					t.Fatalf("a filter matching nothing delivered %s@%d", next[0].StreamID, next[0].Revision)
				}
			}
		})
	}
}

// wantCheckpointBeforeCaughtUp: a filtered subscription with history sends at
// least one checkpoint before its first CaughtUp, and checkpoint positions
// never decrease.
//
// When the catch-up delivered an event, the last checkpoint before CaughtUp
// must also reach lastHistory, the position of the test's last event written
// before subscribing: the catch-up considered it, and a consumer resuming
// from an earlier checkpoint would consider it again for nothing. (When it
// delivered nothing, a real EventStoreDB sends its end-of-catch-up checkpoint
// as MaxUint64, which adapters drop, so only the periodic ones remain.)
func (h *harness) wantCheckpointBeforeCaughtUp(log []eventstore.Message, lastHistory eventstore.Position) {
	h.t.Helper()
	seen, delivered := false, false
	var last eventstore.Position
	for _, m := range log {
		switch m.Kind {
		case eventstore.EventAppeared:
			delivered = true
		case eventstore.CheckpointReached:
			if seen && m.Position < last {
				h.t.Fatalf("checkpoint %d follows checkpoint %d; checkpoints must never decrease", m.Position, last)
			}
			seen, last = true, m.Position
		case eventstore.CaughtUp:
			if !seen {
				h.t.Fatal("a filtered subscription reached CaughtUp without any checkpoint before it")
			}
			if delivered && last < lastHistory {
				h.t.Fatalf("the last checkpoint before CaughtUp is %d, below the last historical event at %d", last, lastHistory)
			}
			return
		}
	}
}

// testFilterCheckpointsResume: when a checkpoint arrives, every matching
// event at or before it has been delivered and none after it; at most
// CheckpointInterval of the test's considered events lie between two
// checkpoints; resuming from any checkpoint delivers exactly the matching
// events after it; and live checkpoints advance a consumer whose events are
// rare.
func testFilterCheckpointsResume(h *harness) {
	const interval = 5
	noise, match := h.stream("noise"), h.stream("acc-")
	res := map[string]eventstore.AppendResult{}
	for i := range 63 { // not a multiple of the interval
		s := noise
		if i%11 == 3 {
			s = match
		}
		res[s] = h.mustAppend(s, res[s].Expected(), h.event("E", fmt.Sprintf(`{"i":%d}`, i)))
	}
	own := h.readAllOwn(h.mustReadStream(noise)[0].Position)
	var want []eventstore.RecordedEvent
	for _, ev := range own {
		if ev.StreamID == match {
			want = append(want, ev)
		}
	}
	f := eventstore.Filter{StreamPrefixes: []string{match}}
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.Start, Filter: f, CheckpointInterval: interval})
	got, log := s.untilCaughtUp()
	h.wantSameEvents("filtered history", got, want)
	h.wantCheckpointBeforeCaughtUp(log, own[len(own)-1].Position)

	var checkpoints []eventstore.Position
	delivered := 0
	prev := eventstore.Start
	for _, m := range log {
		switch m.Kind {
		case eventstore.EventAppeared:
			if len(checkpoints) > 0 && m.Position <= checkpoints[len(checkpoints)-1] {
				h.t.Fatalf("event at %d delivered after checkpoint %d", m.Position, checkpoints[len(checkpoints)-1])
			}
			delivered++
		case eventstore.CheckpointReached:
			c := m.Position
			if n := countUpTo(want, c); n != delivered {
				h.t.Fatalf("checkpoint %d arrived after %d matching events, but %d match at or before it", c, delivered, n)
			}
			if between := countUpTo(own, c) - countUpTo(own, prev); between > interval {
				h.t.Fatalf("%d of the test's events lie between checkpoints %d and %d; the interval is %d", between, prev, c, interval)
			}
			checkpoints = append(checkpoints, c)
			prev = c
		}
	}

	for i, c := range checkpoints {
		if i != 0 && i != len(checkpoints)/2 && i != len(checkpoints)-1 {
			continue
		}
		h.t.Run(fmt.Sprintf("resume_from_checkpoint_%d", i), func(t *testing.T) {
			h := h.sub0(t)
			r := h.subscribe(eventstore.SubscribeOptions{From: c, Filter: f, CheckpointInterval: interval})
			got, _ := r.untilCaughtUp()
			h.wantSameEvents(fmt.Sprintf("events resumed after checkpoint %d", c), got, want[countUpTo(want, c):])
		})
	}

	// Live: a long run of non-matching events still advances the consumer.
	for range 3 * interval {
		res[noise] = h.mustAppend(noise, res[noise].Expected(), h.event("Noise", `{}`))
	}
	firstNoise := h.mustReadStream(noise)[res[noise].NextRevision-3*interval].Position
	h.mustAppend(match, res[match].Expected(), h.event("Rare", `{}`))
	advanced := false
	for {
		m := s.nextOwn()
		if m.Kind == eventstore.CheckpointReached && m.Position >= firstNoise {
			advanced = true
		}
		if m.Kind == eventstore.EventAppeared {
			if m.Event.StreamID != match || m.Event.Type != h.typ("Rare") {
				h.t.Fatalf("filtered subscription delivered %s@%d (%s)", m.Event.StreamID, m.Event.Revision, m.Event.Type)
			}
			break
		}
	}
	if !advanced {
		h.t.Fatalf("%d live non-matching events passed without a checkpoint at or after the first of them (interval %d)", 3*interval, interval)
	}
}

// countUpTo counts events at or before position p.
func countUpTo(evs []eventstore.RecordedEvent, p eventstore.Position) int {
	n := 0
	for _, ev := range evs {
		if ev.Position <= p {
			n++
		}
	}
	return n
}

// testFilterDefaultInterval: CheckpointInterval 0 means
// DefaultCheckpointInterval considered events between checkpoints.
func testFilterDefaultInterval(h *harness) {
	noise, match := h.stream("noise"), h.stream("acc-")
	h.mustAppend(noise, eventstore.NoStream(), h.events(4*eventstore.DefaultCheckpointInterval, "Noise")...)
	h.mustAppend(match, eventstore.NoStream(), h.event("Match", `{}`))
	own := h.readAllOwn(h.mustReadStream(noise)[0].Position)
	s := h.subscribe(eventstore.SubscribeOptions{From: eventstore.Start, Filter: eventstore.Filter{StreamPrefixes: []string{match}}})
	got, log := s.untilCaughtUp()
	h.wantSameEvents("filtered history", got, own[len(own)-1:])
	h.wantCheckpointBeforeCaughtUp(log, own[len(own)-1].Position)
	prev := eventstore.Start
	count := 0
	for _, m := range log {
		if m.Kind != eventstore.CheckpointReached {
			continue
		}
		if between := countUpTo(own, m.Position) - countUpTo(own, prev); between > eventstore.DefaultCheckpointInterval {
			h.t.Fatalf("%d of the test's events lie between checkpoints %d and %d; the default interval is %d",
				between, prev, m.Position, eventstore.DefaultCheckpointInterval)
		}
		prev = m.Position
		count++
	}
	if count < 4 {
		h.t.Fatalf("%d checkpoints over %d considered events; want at least 4 at the default interval %d",
			count, len(own), eventstore.DefaultCheckpointInterval)
	}
}
