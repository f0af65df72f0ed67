package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/domain"
)

// TestOrderLifecycle drives one order through the contract: place →
// dispatch by a coordinator → accept → start → complete → rate, checking
// every answer's status, body and ETag, and then the order's events as an
// auditor reads them.
func TestOrderLifecycle(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(3)
	team := h.registerTeam(st.ID, 3, "health")

	rec := h.send(req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA,
		body:   fmt.Sprintf(`{"category":"health","title":"量血压","details":"","station_id":%q,"contact":""}`, st.ID),
		header: map[string]string{"X-Request-ID": "req-lifecycle-1"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("place: %d %s", rec.Code, rec.Body)
	}
	var placed struct {
		OrderID  string `json:"order_id"`
		Status   string `json:"status"`
		Revision uint64 `json:"revision"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &placed); err != nil {
		t.Fatal(err)
	}
	if placed.Status != "placed" || placed.Revision != 0 || rec.Header().Get("ETag") != `"0"` {
		t.Fatalf("place: got %+v ETag %s; want status placed, revision 0, ETag \"0\"", placed, rec.Header().Get("ETag"))
	}
	id := placed.OrderID

	steps := []struct {
		name       string
		as         domain.Actor
		verb, body string
		status     string
		revision   uint64
	}{
		{"dispatch", coordinator, "dispatch", fmt.Sprintf(`{"team_id":%q}`, team), "offered", 1},
		{"accept", member(team), "accept", `{}`, "accepted", 2},
		{"start", member(team), "start", `{}`, "in_service", 3},
		{"complete", member(team), "complete", `{"notes":"血压正常","volunteer_hours":0.5}`, "completed", 4},
		{"rate", residentA, "rate", `{"stars":5,"comment":"很及时"}`, "rated", 5},
	}
	for _, s := range steps {
		rec := h.send(req{method: http.MethodPost, path: orderPath(id, s.verb), as: &s.as, body: s.body})
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", s.name, rec.Code, rec.Body)
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got["status"] != s.status || got["order_id"] != id || got["revision"] != float64(s.revision) {
			t.Errorf("%s: body %v; want status %s, order_id %s, revision %d", s.name, got, s.status, id, s.revision)
		}
		if etag := rec.Header().Get("ETag"); etag != strconv.Quote(strconv.FormatUint(s.revision, 10)) {
			t.Errorf("%s: ETag %s, want \"%d\"", s.name, etag, s.revision)
		}
		if s.verb == "dispatch" {
			exp, err := time.Parse(time.RFC3339, got["expires_at"].(string))
			if got["team_id"] != team || got["offer_id"] == "" || err != nil || !exp.Equal(h.clock.Now().Add(testOfferTTL)) {
				t.Errorf("dispatch: body %v; want team_id %s, an offer_id and expires_at now+TTL", got, team)
			}
		}
	}

	rec = h.send(req{method: http.MethodGet, path: orderPath(id, "events"), as: &auditor})
	if rec.Code != http.StatusOK {
		t.Fatalf("events: %d %s", rec.Code, rec.Body)
	}
	var evs struct {
		Events []struct {
			Revision uint64          `json:"revision"`
			Position uint64          `json:"position"`
			Time     time.Time       `json:"time"`
			Type     string          `json:"type"`
			Data     json.RawMessage `json:"data"`
			Metadata domain.Metadata `json:"metadata"`
		} `json:"events"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &evs); err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered, domain.EventTypeOfferAccepted,
		domain.EventTypeServiceStarted, domain.EventTypeOrderCompleted, domain.EventTypeOrderRated}
	if len(evs.Events) != len(wantTypes) {
		t.Fatalf("events: %d, want %d: %s", len(evs.Events), len(wantTypes), rec.Body)
	}
	var lastPos uint64
	for i, e := range evs.Events {
		if e.Type != wantTypes[i] || e.Revision != uint64(i) || e.Position <= lastPos || e.Time.IsZero() {
			t.Errorf("event %d: %s rev %d pos %d time %s; want %s rev %d, increasing positions",
				i, e.Type, e.Revision, e.Position, e.Time, wantTypes[i], i)
		}
		lastPos = e.Position
		if e.Metadata.CorrelationID == "" || e.Metadata.CausationID == "" || e.Metadata.SchemaVersion < 1 || e.Metadata.ActorSubject == "" {
			t.Errorf("event %d (%s): incomplete metadata %+v", i, e.Type, e.Metadata)
		}
	}
	if m := evs.Events[0].Metadata; m.CorrelationID != "req-lifecycle-1" || m.ActorSubject != residentA.Subject || m.ActorRole != domain.RoleResident {
		t.Errorf("OrderPlaced metadata %+v; want correlation req-lifecycle-1 and the resident as actor", m)
	}
	if m := evs.Events[2].Metadata; m.ActorSubject != member(team).Subject || m.ActorRole != domain.RoleTeam {
		t.Errorf("OfferAccepted metadata %+v; want the team member as actor", m)
	}
	var rated domain.OrderRated
	if err := json.Unmarshal(evs.Events[5].Data, &rated); err != nil || rated.Stars != 5 || rated.TeamID != team {
		t.Errorf("OrderRated data %s: want 5 stars for team %s (%v)", evs.Events[5].Data, team, err)
	}
}

// TestAutomaticDispatchByCoordinator: without a team_id the policy picks the
// best team, here the only one at the order's station with the skill.
func TestAutomaticDispatchByCoordinator(t *testing.T) {
	h := newCmdHarness(t)
	near := h.registerTeam(h.station(0).ID, 3, "errand")
	h.registerTeam(h.station(40).ID, 3, "errand")
	h.registerTeam(h.station(0).ID, 3, "legal")
	id := h.placeOrder(residentA)
	got := h.post(coordinator, orderPath(id, "dispatch"), "", http.StatusOK)
	if got["team_id"] != near || got["status"] != "offered" {
		t.Fatalf("automatic dispatch: %v; want the station's errand team %s", got, near)
	}

	// With every errand team refusing or full, there is no candidate: 409
	// and nothing appended.
	h.post(member(near), orderPath(id, "decline"), `{"reason":"人手不足"}`, http.StatusOK)
	got = h.post(coordinator, orderPath(id, "dispatch"), `{}`, http.StatusOK)
	if got["team_id"] == near || got["team_id"] == "" {
		t.Fatalf("after %s declined, dispatch chose %v", near, got["team_id"])
	}
	h.post(member(got["team_id"].(string)), orderPath(id, "decline"), `{}`, http.StatusOK)
	before := h.head()
	rec := h.send(req{method: http.MethodPost, path: orderPath(id, "dispatch"), as: &coordinator, body: `{}`})
	if rec.Code != http.StatusConflict || errorCode(rec) != api.CodeConflict || h.head() != before {
		t.Fatalf("no candidate: %d %s, head %d→%d; want 409 conflict and nothing appended", rec.Code, rec.Body, before, h.head())
	}
}
