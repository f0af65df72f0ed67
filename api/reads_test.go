package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

type freshness struct {
	Position   uint64  `json:"position"`
	Lag        uint64  `json:"lag"`
	LagSeconds float64 `json:"lag_seconds"`
	Reached    bool    `json:"reached"`
}

type orderRead struct {
	projections.OrderView
	Freshness freshness `json:"freshness"`
}

// TestReadYourWrite: a command's answer carries its position; a read that
// passes it as min_position sees the command's effect and says so, without
// the client sleeping.
func TestReadYourWrite(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	team := h.registerTeam(h.station(0).ID, 3, "errand")
	rec := h.send(req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA, body: placeBody(h.station(0).ID)})
	if rec.Code != http.StatusCreated {
		t.Fatalf("place: %d %s", rec.Code, rec.Body)
	}
	pos := rec.Header().Get(api.HeaderPosition)
	if p, err := strconv.ParseUint(pos, 10, 64); err != nil || p != uint64(h.head()) {
		t.Fatalf("%s = %q, want the log's head %d", api.HeaderPosition, pos, h.head())
	}
	var placed map[string]any
	json.Unmarshal(rec.Body.Bytes(), &placed)
	id := placed["order_id"].(string)

	for _, tc := range []struct {
		name, query string
		header      map[string]string
	}{
		{"query", "?min_position=" + pos, nil},
		{"header", "", map[string]string{api.HeaderMinPosition: pos}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.send(req{method: http.MethodGet, path: orderPath(id, "") + tc.query, as: &residentA, header: tc.header})
			if rec.Code != http.StatusOK {
				t.Fatalf("GET order: %d %s", rec.Code, rec.Body)
			}
			var got orderRead
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.OrderID != id || got.Status != "placed" || got.Resident != residentA.Subject || got.Revision != 0 {
				t.Fatalf("order = %+v, want %s placed by %s at revision 0", got.OrderView, id, residentA.Subject)
			}
			if !got.Freshness.Reached || got.Freshness.Position < mustUint(t, pos) {
				t.Fatalf("freshness = %+v, want reached at %s or later", got.Freshness, pos)
			}
			if hp := rec.Header().Get(api.HeaderReadPosition); mustUint(t, hp) < mustUint(t, pos) || rec.Header().Get(api.HeaderStale) != "" {
				t.Fatalf("headers: read position %q, stale %q; want at least %s and not stale", hp, rec.Header().Get(api.HeaderStale), pos)
			}
			if rec.Header().Get("ETag") != `"0"` {
				t.Fatalf("ETag = %q, want \"0\"", rec.Header().Get("ETag"))
			}
		})
	}

	rec = h.send(req{method: http.MethodPost, path: orderPath(id, "dispatch"), as: &coordinator, body: fmt.Sprintf(`{"team_id":%q}`, team)})
	if rec.Code != http.StatusOK || rec.Header().Get(api.HeaderPosition) == "" {
		t.Fatalf("dispatch: %d, position %q", rec.Code, rec.Header().Get(api.HeaderPosition))
	}
	var got orderRead
	h.getInto(coordinator, orderPath(id, ""), &got)
	if got.Status != "offered" || got.TeamID != team || got.Revision != 1 {
		t.Fatalf("after dispatch: %+v, want offered to %s at revision 1", got.OrderView, team)
	}
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not a position: %v", s, err)
	}
	return n
}

// TestReadWaitsBounded: a min_position the log never reaches answers after
// the bound with what the model has, saying it is stale.
func TestReadWaitsBounded(t *testing.T) {
	h := newReadHarness(t, readOptions{cfg: api.ReadConfig{MaxWait: 50 * time.Millisecond}})
	id := h.placeOrder(residentA)
	if err := h.pipe.WaitFor(context.Background(), h.head()); err != nil {
		t.Fatal(err)
	}
	rec := h.send(req{method: http.MethodGet, path: orderPath(id, "") + "?min_position=1000000", as: &residentA})
	out := decodeStatus(t, rec, "GET order", http.StatusOK)
	if rec.Header().Get(api.HeaderStale) != "true" || out["freshness"].(map[string]any)["reached"] != false {
		t.Fatalf("stale header %q, freshness %v; want stale and reached=false", rec.Header().Get(api.HeaderStale), out["freshness"])
	}
	rec = h.send(req{method: http.MethodGet, path: orderPath(id, "") + "?min_position=soon", as: &residentA})
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("min_position=soon: %d, want 400", rec.Code)
	}
}

// TestOrderReadAccess: who may read an order.
func TestOrderReadAccess(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	w := h.world()
	stranger := member(h.registerTeam(h.station(0).ID, 1, "errand"))
	for _, tc := range []struct {
		name  string
		as    *domain.Actor
		order string
		want  int
	}{
		{"resident who placed it", &residentA, w.offered, 200},
		{"another resident", &residentB, w.offered, 403},
		{"team offered it", ptr(member(w.teamA)), w.offered, 200},
		{"team that accepted it", ptr(member(w.teamA)), w.accepted, 200},
		{"another team", &stranger, w.offered, 403},
		{"team of an unoffered order", ptr(member(w.teamA)), w.placed, 403},
		{"coordinator", &coordinator, w.placed, 200},
		{"admin", &admin, w.placed, 200},
		{"auditor", &auditor, w.completed, 200},
		{"analyst", &analyst, w.placed, 403},
		{"unknown order", &coordinator, uuid.NewString(), 404},
		{"not an id", &coordinator, "nope", 404},
		{"no token", nil, w.placed, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.send(req{method: http.MethodGet, path: orderPath(tc.order, ""), as: tc.as,
				header: map[string]string{api.HeaderMinPosition: strconv.FormatUint(uint64(h.head()), 10)}})
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

// TestReadEndpointRoles: every read endpoint × role.
func TestReadEndpointRoles(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	team := h.registerTeam(h.station(0).ID, 2, "errand")
	other := h.registerTeam(h.station(0).ID, 2, "errand")
	// The team reads below answer from the read model, so it must hold both
	// teams before the first request; otherwise a slow projection is a 404.
	if err := h.pipe.WaitFor(context.Background(), h.head()); err != nil {
		t.Fatal(err)
	}
	tm := member(team)
	roles := []struct {
		name string
		as   domain.Actor
	}{{"resident", residentA}, {"team", tm}, {"coordinator", coordinator}, {"auditor", auditor}, {"analyst", analyst}, {"admin", admin}}
	asOf := url.QueryEscape(time.Now().UTC().Format(time.RFC3339))
	for _, ep := range []struct {
		method, path string
		allowed      []string
	}{
		{"GET", "/queue", []string{"coordinator", "admin"}},
		{"POST", "/queue/stream/ticket", []string{"coordinator", "admin"}},
		{"GET", "/teams", []string{"coordinator", "auditor", "analyst", "admin"}},
		{"GET", "/teams/" + team, []string{"team", "coordinator", "auditor", "analyst", "admin"}},
		{"GET", "/teams/" + other, []string{"coordinator", "auditor", "analyst", "admin"}},
		{"GET", "/offers", []string{"team"}},
		{"GET", "/stats/satisfaction?by=team", []string{"coordinator", "analyst", "admin"}},
		{"GET", "/stats/sla", []string{"coordinator", "analyst", "admin"}},
		{"GET", "/projections", []string{"coordinator", "admin"}},
		{"GET", "/audit/replay?as_of=" + asOf, []string{"auditor", "admin"}},
		{"GET", "/audit/verify", []string{"auditor", "admin"}},
	} {
		for _, r := range roles {
			t.Run(ep.method+" "+ep.path+" as "+r.name, func(t *testing.T) {
				rec := h.send(req{method: ep.method, path: api.APIPrefix + ep.path, as: &r.as})
				ok := rec.Code == http.StatusOK || rec.Code == http.StatusCreated
				if want := slices.Contains(ep.allowed, r.name); ok != want || (!ok && rec.Code != http.StatusForbidden) {
					t.Fatalf("status %d (allowed: %v); body %s", rec.Code, want, rec.Body)
				}
			})
		}
		t.Run(ep.method+" "+ep.path+" without a token", func(t *testing.T) {
			if rec := h.send(req{method: ep.method, path: api.APIPrefix + ep.path}); rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", rec.Code)
			}
		})
	}
}

type queueRead struct {
	Rows       []projections.QueueRow `json:"rows"`
	NextCursor string                 `json:"next_cursor"`
	Freshness  freshness              `json:"freshness"`
}

func queueIDs(q queueRead) []string {
	out := make([]string, len(q.Rows))
	for i, r := range q.Rows {
		out[i] = r.OrderID
	}
	return out
}

// TestQueue: filters, escalated first, SLA flags, cursor paging and the cap,
// refused parameters.
func TestQueue(t *testing.T) {
	h := newReadHarness(t, readOptions{pageSize: 3})
	st0, st1 := h.station(0), h.otherInstituteStation()
	team := h.registerTeam(st0.ID, 5, "errand", "health")
	var placed []string // oldest first
	for i := range 5 {
		st, cat := st0.ID, "errand"
		if i%2 == 1 {
			st, cat = st1.ID, "health"
		}
		placed = append(placed, h.placeAt(residentA, cat, st))
		h.clock.Advance(time.Minute)
	}
	h.post(coordinator, orderPath(placed[0], "dispatch"), fmt.Sprintf(`{"team_id":%q}`, team), http.StatusOK)
	esc := placed[4]
	if _, err := h.cmds.EscalateOrder(context.Background(), app.EscalateOrder{
		Envelope: app.Envelope{Actor: coordinator}, OrderID: uuid.MustParse(esc), Reason: "no team nearby"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(11 * time.Minute) // past the 10m wait bound

	var all []string
	var q queueRead
	for path := api.APIPrefix + "/queue?limit=2"; ; {
		h.getInto(coordinator, path, &q)
		if len(q.Rows) > 2 {
			t.Fatalf("page of %d rows, asked for 2", len(q.Rows))
		}
		all = append(all, queueIDs(q)...)
		if q.NextCursor == "" {
			break
		}
		path = api.APIPrefix + "/queue?limit=2&cursor=" + url.QueryEscape(q.NextCursor)
	}
	want := append([]string{esc}, placed[:4]...)
	if !slices.Equal(all, want) {
		t.Fatalf("paged queue = %v, want escalated first then oldest: %v", all, want)
	}

	h.getInto(coordinator, api.APIPrefix+"/queue?limit=1000", &q)
	if len(q.Rows) != 3 || q.NextCursor == "" {
		t.Fatalf("limit=1000 with a cap of 3: %d rows, next %q; want 3 and a cursor", len(q.Rows), q.NextCursor)
	}
	if r := q.Rows[0]; !slices.Contains(r.SLAFlags, projections.FlagEscalated) || r.Status != "escalated" {
		t.Fatalf("first row %+v, want the escalated order flagged", r)
	}
	if r := q.Rows[2]; r.OrderID != placed[1] || !slices.Contains(r.SLAFlags, projections.FlagWaiting) || r.WaitingSeconds != 15*60 {
		t.Fatalf("row %+v, want %s waiting 15m and flagged %s", r, placed[1], projections.FlagWaiting)
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"status=placed", placed[1:4]},
		{"status=offered", placed[:1]},
		{"station=" + st1.ID, []string{placed[1], placed[3]}},
		{"institute=" + st0.InstituteID, []string{esc, placed[0], placed[2]}},
		{"category=health&status=placed", []string{placed[1], placed[3]}},
		{"category=legal", []string{}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var all []string
			for path := api.APIPrefix + "/queue?" + tc.query; ; {
				h.getInto(coordinator, path, &q)
				all = append(all, queueIDs(q)...)
				if q.NextCursor == "" {
					break
				}
				path = api.APIPrefix + "/queue?" + tc.query + "&cursor=" + url.QueryEscape(q.NextCursor)
			}
			if !slices.Equal(all, tc.want) {
				t.Fatalf("rows %v, want %v", all, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"limit=ten", 400}, {"limit=0", 422}, {"status=lost", 422}, {"status=completed", 422},
		{"category=cooking", 422}, {"cursor=not-ours", 400},
	} {
		t.Run("refuses "+tc.query, func(t *testing.T) {
			rec := h.send(req{method: http.MethodGet, path: api.APIPrefix + "/queue?" + tc.query, as: &coordinator})
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.want, rec.Body)
			}
		})
	}
}

// TestTeamsAndOffers: the team board reflects offers and completions; a team
// sees its pending offers.
func TestTeamsAndOffers(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	w := h.world()
	var board struct {
		Teams     []projections.TeamView `json:"teams"`
		Freshness freshness              `json:"freshness"`
	}
	h.getInto(analyst, api.APIPrefix+"/teams", &board)
	if len(board.Teams) != 2 {
		t.Fatalf("teams = %d, want 2", len(board.Teams))
	}
	var a projections.TeamView
	h.getInto(member(w.teamA), api.APIPrefix+"/teams/"+w.teamA, &a)
	if a.TeamID != w.teamA || a.Offered != 1 || a.Accepted != 1 || a.Load != 2 || a.CompletedTotal != 1 || a.Capacity != 5 {
		t.Fatalf("team A = %+v, want 1 offered, 1 accepted (load 2 of 5), 1 completed", a)
	}
	h.get(coordinator, api.APIPrefix+"/teams/"+"no-such-team", http.StatusNotFound)
	h.get(coordinator, api.APIPrefix+"/teams?available=maybe", http.StatusUnprocessableEntity)

	var offers struct {
		TeamID string                  `json:"team_id"`
		Offers []projections.OfferView `json:"offers"`
	}
	h.getInto(member(w.teamA), api.APIPrefix+"/offers", &offers)
	if offers.TeamID != w.teamA || len(offers.Offers) != 1 || offers.Offers[0].OrderID != w.offered {
		t.Fatalf("offers = %+v, want the one pending offer of %s", offers, w.offered)
	}
	h.getInto(member(w.teamB), api.APIPrefix+"/offers", &offers)
	if len(offers.Offers) != 0 {
		t.Fatalf("team B offers = %+v, want none", offers.Offers)
	}
}

// TestSatisfaction: exact figures by every key for a small scripted history.
func TestSatisfaction(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	st0, st1 := h.station(0), h.otherInstituteStation()
	teamA := h.registerTeam(st0.ID, 5, "errand")
	teamB := h.registerTeam(st1.ID, 5, "health")
	h.serveOrder(h.placeAt(residentA, "errand", st0.ID), teamA, 5)
	h.serveOrder(h.placeAt(residentA, "errand", st0.ID), teamA, 3)
	h.serveOrder(h.placeAt(residentA, "health", st1.ID), teamB, 4)
	h.serveOrder(h.placeAt(residentA, "health", st1.ID), teamB, 0)
	h.placeAt(residentA, "health", st1.ID) // not completed: counts nowhere

	rowA := projections.SatisfactionRow{Ratings: 2, GoodRatings: 1, GoodRatingRate: 0.5, AverageStars: 4, Completed: 2, RatingCoverage: 1}
	rowB := projections.SatisfactionRow{Ratings: 1, GoodRatings: 1, GoodRatingRate: 1, AverageStars: 4, Completed: 2, RatingCoverage: 0.5}
	keyed := func(k string, r projections.SatisfactionRow) projections.SatisfactionRow { r.Key = k; return r }
	// The clock stands at 2026-03-05 09:00 UTC, the same day in UTC+8.
	day := projections.SatisfactionRow{Key: "2026-03-05", Ratings: 3, GoodRatings: 2, GoodRatingRate: 2.0 / 3, AverageStars: 4,
		Completed: 4, RatingCoverage: 0.75}
	sorted := func(rows ...projections.SatisfactionRow) []projections.SatisfactionRow {
		slices.SortFunc(rows, func(a, b projections.SatisfactionRow) int { return strings.Compare(a.Key, b.Key) })
		return rows
	}
	for _, tc := range []struct {
		by   string
		want []projections.SatisfactionRow
	}{
		{"team", sorted(keyed(teamA, rowA), keyed(teamB, rowB))},
		{"category", sorted(keyed("errand", rowA), keyed("health", rowB))},
		{"station", sorted(keyed(st0.ID, rowA), keyed(st1.ID, rowB))},
		{"institute", sorted(keyed(st0.InstituteID, rowA), keyed(st1.InstituteID, rowB))},
		{"day", []projections.SatisfactionRow{day}},
	} {
		t.Run(tc.by, func(t *testing.T) {
			var got struct {
				By   string                        `json:"by"`
				Rows []projections.SatisfactionRow `json:"rows"`
			}
			h.getInto(analyst, api.APIPrefix+"/stats/satisfaction?by="+tc.by, &got)
			if got.By != tc.by || len(got.Rows) != len(tc.want) {
				t.Fatalf("got %+v, want by %s rows %+v", got, tc.by, tc.want)
			}
			for i, r := range got.Rows {
				w := tc.want[i]
				if r.Key != w.Key || r.Ratings != w.Ratings || r.GoodRatings != w.GoodRatings || r.Completed != w.Completed ||
					!near(r.GoodRatingRate, w.GoodRatingRate) || !near(r.AverageStars, w.AverageStars) || !near(r.RatingCoverage, w.RatingCoverage) {
					t.Fatalf("row %d = %+v, want %+v", i, r, w)
				}
			}
		})
	}
	h.get(analyst, api.APIPrefix+"/stats/satisfaction?by=weather", http.StatusUnprocessableEntity)
	h.get(analyst, api.APIPrefix+"/stats/satisfaction", http.StatusUnprocessableEntity)

	var sla struct {
		Orders int64                  `json:"orders"`
		Stages []projections.SLAStage `json:"stages"`
	}
	h.getInto(coordinator, api.APIPrefix+"/stats/sla?category=health", &sla)
	if sla.Orders != 3 || len(sla.Stages) != 3 || sla.Stages[0].Count != 2 {
		t.Fatalf("sla for health = %+v, want 3 orders, 2 offered", sla)
	}
	h.get(coordinator, api.APIPrefix+"/stats/sla?category=cooking", http.StatusUnprocessableEntity)
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestProjectionStatus lists every projection at the log's head.
func TestProjectionStatus(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	h.placeOrder(residentA)
	if err := h.pipe.WaitFor(context.Background(), h.head()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Projections []projections.Status      `json:"projections"`
		Parked      []projections.ParkedEvent `json:"parked"`
	}
	h.getInto(admin, api.APIPrefix+"/projections", &got)
	if len(got.Projections) != len(projections.Definitions()) || got.Parked == nil {
		t.Fatalf("status = %+v, want every projection and a parked list", got)
	}
	for _, s := range got.Projections {
		if s.Position != uint64(h.head()) || s.Lag != 0 || s.Parked != 0 {
			t.Fatalf("%s = %+v, want at the head %d with no lag or parked events", s.Projection, s, h.head())
		}
	}
	h.get(admin, api.APIPrefix+"/projections?parked_limit=0", http.StatusUnprocessableEntity)
}

// TestDashboard serves the embedded page and its assets.
func TestDashboard(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	for _, tc := range []struct {
		path, want, contentType string
		status                  int
	}{
		{"/", "", "", http.StatusFound},
		{"/dashboard", "", "", http.StatusFound},
		{"/dashboard/", "Live queue", "text/html", http.StatusOK},
		{"/dashboard/app.js", "/queue/stream/ticket", "javascript", http.StatusOK},
		{"/dashboard/style.css", "escalated", "text/css", http.StatusOK},
		{"/dashboard/missing.js", "", "", http.StatusNotFound},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := h.send(req{method: http.MethodGet, path: tc.path})
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) ||
				!strings.Contains(rec.Header().Get("Content-Type"), tc.contentType) {
				t.Fatalf("status %d, type %q; want %d, %q containing %q", rec.Code, rec.Header().Get("Content-Type"),
					tc.status, tc.contentType, tc.want)
			}
			if tc.status == http.StatusFound && rec.Header().Get("Location") != api.DashboardPath {
				t.Fatalf("Location %q, want %s", rec.Header().Get("Location"), api.DashboardPath)
			}
		})
	}
}
