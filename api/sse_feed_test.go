package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/projections"
)

// change reads the next event, which must be a change of order (upsert), and
// checks its SSE id is the change's id and position.
func (c *sseClient) change(order string, position uint64) projections.QueueChange {
	c.t.Helper()
	ev := c.nextEvent("change")
	var ch projections.QueueChange
	if err := json.Unmarshal([]byte(ev.Data), &ch); err != nil {
		c.t.Fatalf("change %q: %v", ev.Data, err)
	}
	if ch.OrderID != order || ch.Op != "upsert" || ch.ID != position || ev.ID != strconv.FormatUint(position, 10) {
		c.t.Fatalf("change %+v with event id %s, want %s placed at position %d", ch, ev.ID, order, position)
	}
	return ch
}

// TestQueueStreamFromAnEmptyFeed: a stream opened while the log has events but
// the change feed has none (only a team was registered) gets every later
// change in order, not a reset; a client resuming from its hello's id or a
// change's id gets what came after it.
func TestQueueStreamFromAnEmptyFeed(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close) // before the streams' cleanups, so they close first
	url := ts.URL + api.APIPrefix + "/queue/stream"

	h.registerTeam(h.station(0).ID, 1, "errand") // an event, but no queue change
	start := uint64(h.head())
	if err := h.pipe.WaitFor(context.Background(), h.head()); err != nil {
		t.Fatal(err)
	}
	s, resp := openStream(t, url, h.bearer(coordinator))
	if s == nil {
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	hello := s.nextEvent("hello")
	if hello.ID != strconv.FormatUint(start, 10) {
		t.Fatalf("hello id %s, want the queue's position %d", hello.ID, start)
	}
	a := h.placeOrder(residentA)
	posA := uint64(h.head())
	b := h.placeOrder(residentB)
	posB := uint64(h.head())
	s.change(a, posA)
	s.change(b, posB)
	s.close()

	for _, tc := range []struct {
		name, from string
		want       []string
		positions  []uint64
	}{
		{"from the hello", hello.ID, []string{a, b}, []uint64{posA, posB}},
		{"from the first change", strconv.FormatUint(posA, 10), []string{b}, []uint64{posB}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, resp := openStream(t, url, map[string]string{"Authorization": "Bearer " + h.token(coordinator), "Last-Event-ID": tc.from})
			if s == nil {
				t.Fatalf("resume: status %d", resp.StatusCode)
			}
			s.t = t
			if got := s.nextEvent("hello"); got.ID != tc.from {
				t.Fatalf("resumed hello id %s, want %s", got.ID, tc.from)
			}
			for i, id := range tc.want {
				s.change(id, tc.positions[i])
			}
		})
	}
}

// TestQueueStreamResetsAfterARebuild: a rebuilt feed starts empty, so a
// client whose id predates the rebuild's last queue change gets a reset; a
// client that had seen that change gets the next change without one.
func TestQueueStreamResetsAfterARebuild(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close)
	url := ts.URL + api.APIPrefix + "/queue/stream"

	h.placeOrder(residentA)
	before := strconv.FormatUint(uint64(h.head()), 10)
	h.placeOrder(residentB)
	last := strconv.FormatUint(uint64(h.head()), 10)
	ctx := context.Background()
	if err := h.pipe.WaitFor(ctx, h.head()); err != nil {
		t.Fatal(err)
	}
	if _, err := projections.Rebuild(ctx, h.store, h.views, projections.RebuildConfig{
		Projections: projections.Definitions(), Decode: projections.DecodeDomain}, projections.NameQueue); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name, from string
		reset      bool
	}{
		{"an id the rebuild dropped changes after", before, true},
		{"the rebuild's last change", last, false},
	}
	streams := make([]*sseClient, len(cases))
	for i, tc := range cases {
		s, resp := openStream(t, url, map[string]string{"Authorization": "Bearer " + h.token(coordinator), "Last-Event-ID": tc.from})
		if s == nil {
			t.Fatalf("%s: resume: status %d", tc.name, resp.StatusCode)
		}
		s.nextEvent("hello")
		// Read before the next change, which a later reset would cover.
		if tc.reset {
			if ev := s.nextEvent("reset"); ev.ID != last {
				t.Fatalf("%s: reset id %s, want the rebuilt queue's position %s", tc.name, ev.ID, last)
			}
		}
		streams[i] = s
	}
	next := h.placeOrder(residentA)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := streams[i]
			s.t = t
			s.change(next, uint64(h.head())) // fails on a reset: nothing was lost
		})
	}
}
