package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/projections"
)

type replayRead struct {
	AsOf     time.Time `json:"as_of"`
	Position uint64    `json:"position"`
	Events   uint64    `json:"events"`
	Queue    struct {
		Rows      []projections.QueueRow `json:"rows"`
		Truncated bool                   `json:"truncated"`
	} `json:"queue"`
	Counters struct {
		Orders      int64            `json:"orders"`
		ByStatus    map[string]int64 `json:"by_status"`
		Teams       int64            `json:"teams"`
		ActiveTeams int64            `json:"active_teams"`
		Completed   int64            `json:"completed"`
		Ratings     int64            `json:"ratings"`
	} `json:"counters"`
}

func replayPath(at time.Time) string {
	return api.APIPrefix + "/audit/replay?as_of=" + url.QueryEscape(at.Format(time.RFC3339Nano))
}

// TestAuditReplay: the queue and counters as they stood at moments before
// and after each event differ exactly by that event.
func TestAuditReplay(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	t0 := h.clock.Now()
	team := h.registerTeam(h.station(0).ID, 3, "errand")
	h.clock.Advance(time.Minute)
	o1 := h.placeOrder(residentA) // t0+1m
	p1 := h.head()
	h.clock.Advance(time.Minute)
	o2 := h.placeOrder(residentA) // t0+2m
	h.clock.Advance(time.Minute)
	h.serveOrder(o1, team, 5) // t0+3m: offered, accepted, completed, rated

	for _, tc := range []struct {
		name     string
		at       time.Time
		orders   int64
		byStatus map[string]int64
		queue    []string
		statuses []string
		waiting  []float64
		ratings  int64
	}{
		{"before anything", t0.Add(-time.Second), 0, map[string]int64{}, nil, nil, nil, 0},
		{"at the first order", t0.Add(time.Minute), 1, map[string]int64{"placed": 1}, []string{o1}, []string{"placed"}, []float64{0}, 0},
		{"between the orders", t0.Add(150 * time.Second), 2, map[string]int64{"placed": 2}, []string{o1, o2},
			[]string{"placed", "placed"}, []float64{90, 30}, 0},
		{"after the service", t0.Add(time.Hour), 2, map[string]int64{"placed": 1, "rated": 1}, []string{o2},
			[]string{"placed"}, []float64{58 * 60}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got replayRead
			h.getInto(auditor, replayPath(tc.at), &got)
			if got.Counters.Orders != tc.orders || !mapsEqual(got.Counters.ByStatus, tc.byStatus) || got.Counters.Ratings != tc.ratings {
				t.Fatalf("counters %+v, want %d orders %v and %d ratings", got.Counters, tc.orders, tc.byStatus, tc.ratings)
			}
			var ids, statuses []string
			var waiting []float64
			for _, r := range got.Queue.Rows {
				ids, statuses, waiting = append(ids, r.OrderID), append(statuses, r.Status), append(waiting, r.WaitingSeconds)
			}
			if !slices.Equal(ids, tc.queue) || !slices.Equal(statuses, tc.statuses) || !slices.Equal(waiting, tc.waiting) {
				t.Fatalf("queue %v %v waiting %v, want %v %v %v", ids, statuses, waiting, tc.queue, tc.statuses, tc.waiting)
			}
			wantTeams := int64(1)
			if tc.at.Before(t0) {
				wantTeams = 0
			}
			if got.Counters.Teams != wantTeams {
				t.Fatalf("teams %d, want %d", got.Counters.Teams, wantTeams)
			}
		})
	}

	var got replayRead
	h.getInto(admin, replayPath(t0.Add(time.Minute)), &got)
	if got.Position != uint64(p1) || got.Events != 2 {
		t.Fatalf("replay at the first order: position %d after %d events, want %d after 2", got.Position, got.Events, p1)
	}

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"", http.StatusUnprocessableEntity},
		{"?as_of=yesterday", http.StatusBadRequest},
		{"?as_of=2026-03-05", http.StatusBadRequest},
	} {
		t.Run("refuses "+tc.query, func(t *testing.T) {
			if rec := h.send(req{method: http.MethodGet, path: api.APIPrefix + "/audit/replay" + tc.query, as: &auditor}); rec.Code != tc.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

// TestAuditReplayBound: a replay longer than the bound is refused, saying so.
func TestAuditReplayBound(t *testing.T) {
	h := newReadHarness(t, readOptions{cfg: api.ReadConfig{MaxReplayEvents: 2}})
	for range 3 {
		h.placeOrder(residentA)
	}
	rec := h.send(req{method: http.MethodGet, path: replayPath(h.clock.Now()), as: &auditor})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422; body %s", rec.Code, rec.Body)
	}
	var got replayRead
	h.getInto(auditor, replayPath(h.clock.Now().Add(-time.Second)), &got)
	if got.Counters.Orders != 0 {
		t.Fatalf("replay before the orders: %+v", got.Counters)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
