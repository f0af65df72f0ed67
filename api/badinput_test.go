package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// TestBadInput sends every class of bad input the contract names to the
// endpoints it concerns. Each must get its status and code, name the field
// of a 422, and append nothing.
func TestBadInput(t *testing.T) {
	h := newCmdHarness(t)
	w := h.world()
	st := h.station(0).ID
	orders := api.APIPrefix + "/orders"
	teams := api.APIPrefix + "/teams"
	place := func(fields string) string {
		return `{"category":"errand","title":"取快递","details":"","station_id":"` + st + `","contact":""` + fields + `}`
	}

	forged, err := auth.NewHMAC([]byte(strings.Repeat("f", 32)), auth.HMACConfig{})
	if err != nil {
		t.Fatal(err)
	}
	forgedToken, _ := forged.Mint(residentA, time.Hour)
	past, _ := auth.NewHMAC(cmdSecret, auth.HMACConfig{Now: func() time.Time { return time.Now().Add(-3 * time.Hour) }})
	expiredToken, _ := past.Mint(residentA, time.Hour)
	// alg=none: a header and claims without a signature.
	noneToken := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." +
		"eyJzdWIiOiJyZXNpZGVudC1hIiwicm9sZSI6InJlc2lkZW50IiwiZXhwIjo0MTAyNDQ0ODAwfQ."

	cases := []struct {
		name   string
		r      req
		status int
		code   string
		field  string
	}{
		{"malformed JSON", req{path: orders, as: &residentA, body: `{"category":"errand",`}, 400, api.CodeMalformedRequest, ""},
		{"not an object", req{path: orders, as: &residentA, body: `["errand"]`}, 400, api.CodeMalformedRequest, ""},
		{"empty body", req{path: orders, as: &residentA}, 400, api.CodeMalformedRequest, ""},
		{"unknown field", req{path: orders, as: &residentA, body: place(`,"priority":1`)}, 400, api.CodeMalformedRequest, ""},
		{"body names the resident", req{path: orders, as: &residentA, body: place(`,"resident":"resident-b"`)}, 400, api.CodeMalformedRequest, ""},
		{"wrong type", req{path: orders, as: &residentA, body: `{"category":"errand","title":42,"station_id":"` + st + `"}`}, 400, api.CodeMalformedRequest, ""},
		{"two objects", req{path: orders, as: &residentA, body: place("") + `{}`}, 400, api.CodeMalformedRequest, ""},
		{"empty title", req{path: orders, as: &residentA, body: `{"category":"errand","title":"  ","station_id":"` + st + `"}`}, 422, api.CodeInvalidField, "title"},
		{"unknown category", req{path: orders, as: &residentA, body: `{"category":"plumbing","title":"修水管","station_id":"` + st + `"}`}, 422, api.CodeInvalidField, "category"},
		{"unknown station", req{path: orders, as: &residentA, body: `{"category":"errand","title":"取快递","station_id":"atlantis-001"}`}, 422, api.CodeInvalidField, "station_id"},
		{"title over 100 characters", req{path: orders, as: &residentA, body: `{"category":"errand","title":"` + strings.Repeat("长", 101) + `","station_id":"` + st + `"}`}, 422, api.CodeInvalidField, "title"},
		{"details over 2000 characters", req{path: orders, as: &residentA, body: `{"category":"errand","title":"t","details":"` + strings.Repeat("x", 2001) + `","station_id":"` + st + `"}`}, 422, api.CodeInvalidField, "details"},
		{"contact over 100 characters", req{path: orders, as: &residentA, body: `{"category":"errand","title":"t","contact":"` + strings.Repeat("9", 101) + `","station_id":"` + st + `"}`}, 422, api.CodeInvalidField, "contact"},
		{"body over 1 MiB", req{path: orders, as: &residentA, body: `{"category":"errand","title":"t","details":"` + strings.Repeat("x", 1<<20) + `"}`}, 413, api.CodePayloadTooLarge, ""},
		{"no token", req{path: orders, body: place("")}, 401, api.CodeUnauthenticated, ""},
		{"expired token", req{path: orders, token: expiredToken, body: place("")}, 401, api.CodeUnauthenticated, ""},
		{"forged token", req{path: orders, token: forgedToken, body: place("")}, 401, api.CodeUnauthenticated, ""},
		{"alg=none token", req{path: orders, token: noneToken, body: place("")}, 401, api.CodeUnauthenticated, ""},
		{"bad Idempotency-Key", req{path: orders, as: &residentA, body: place(""), header: map[string]string{"Idempotency-Key": "has space"}}, 400, api.CodeMalformedRequest, ""},
		{"bad If-Match", req{path: orderPath(w.offered, "cancel"), as: &residentA, body: `{}`, header: map[string]string{"If-Match": `W/"x"`}}, 400, api.CodeMalformedRequest, ""},

		{"stars 0", req{path: orderPath(w.completed, "rate"), as: &residentA, body: `{"stars":0}`}, 422, api.CodeInvalidField, "stars"},
		{"stars 6", req{path: orderPath(w.completed, "rate"), as: &residentA, body: `{"stars":6}`}, 422, api.CodeInvalidField, "stars"},
		{"stars as text", req{path: orderPath(w.completed, "rate"), as: &residentA, body: `{"stars":"five"}`}, 400, api.CodeMalformedRequest, ""},
		{"stars fractional", req{path: orderPath(w.completed, "rate"), as: &residentA, body: `{"stars":4.5}`}, 400, api.CodeMalformedRequest, ""},
		{"comment over 1000 characters", req{path: orderPath(w.completed, "rate"), as: &residentA, body: `{"stars":5,"comment":"` + strings.Repeat("好", 1001) + `"}`}, 422, api.CodeInvalidField, "comment"},
		{"volunteer hours 0", req{path: orderPath(w.accepted, "complete"), as: ptr(member(w.teamA)), body: `{"notes":"","volunteer_hours":0}`}, 422, api.CodeInvalidField, "volunteer_hours"},
		{"volunteer hours over 24", req{path: orderPath(w.accepted, "complete"), as: ptr(member(w.teamA)), body: `{"volunteer_hours":25}`}, 422, api.CodeInvalidField, "volunteer_hours"},
		{"notes over 2000 characters", req{path: orderPath(w.accepted, "complete"), as: ptr(member(w.teamA)), body: `{"volunteer_hours":1,"notes":"` + strings.Repeat("n", 2001) + `"}`}, 422, api.CodeInvalidField, "notes"},
		{"decline reason over 500 characters", req{path: orderPath(w.offered, "decline"), as: ptr(member(w.teamA)), body: `{"reason":"` + strings.Repeat("r", 501) + `"}`}, 422, api.CodeInvalidField, "reason"},
		{"cancel reason over 500 characters", req{path: orderPath(w.offered, "cancel"), as: &residentA, body: `{"reason":"` + strings.Repeat("r", 501) + `"}`}, 422, api.CodeInvalidField, "reason"},
		{"accept with a body field", req{path: orderPath(w.offered, "accept"), as: ptr(member(w.teamA)), body: `{"team_id":"` + w.teamB + `"}`}, 400, api.CodeMalformedRequest, ""},
		{"dispatch team_id not a string", req{path: orderPath(w.placed, "dispatch"), as: &coordinator, body: `{"team_id":7}`}, 400, api.CodeMalformedRequest, ""},
		{"dispatch to an invalid team id", req{path: orderPath(w.placed, "dispatch"), as: &coordinator, body: `{"team_id":"a b"}`}, 422, api.CodeInvalidField, "team_id"},

		{"team without a name", req{path: teams, as: &coordinator, body: `{"name":"","station_id":"` + st + `","skills":["legal"],"capacity":1}`}, 422, api.CodeInvalidField, "name"},
		{"team at an unknown station", req{path: teams, as: &coordinator, body: `{"name":"n","station_id":"nowhere","skills":["legal"],"capacity":1}`}, 422, api.CodeInvalidField, "station_id"},
		{"team with an unknown skill", req{path: teams, as: &coordinator, body: `{"name":"n","station_id":"` + st + `","skills":["juggling"],"capacity":1}`}, 422, api.CodeInvalidField, "skills"},
		{"team without skills", req{path: teams, as: &coordinator, body: `{"name":"n","station_id":"` + st + `","skills":[],"capacity":1}`}, 422, api.CodeInvalidField, "skills"},
		{"team capacity 0", req{path: teams, as: &coordinator, body: `{"name":"n","station_id":"` + st + `","skills":["legal"],"capacity":0}`}, 422, api.CodeInvalidField, "capacity"},
		{"team capacity as text", req{path: teams, as: &coordinator, body: `{"name":"n","station_id":"` + st + `","skills":["legal"],"capacity":"2"}`}, 400, api.CodeMalformedRequest, ""},
		{"team body names its id", req{path: teams, as: &coordinator, body: `{"team_id":"mine","name":"n","station_id":"` + st + `","skills":["legal"],"capacity":1}`}, 400, api.CodeMalformedRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.method = http.MethodPost
			before := h.head()
			rec := h.send(c.r)
			if rec.Code != c.status || errorCode(rec) != c.code {
				t.Fatalf("got %d %.300s; want %d %s", rec.Code, rec.Body, c.status, c.code)
			}
			if c.field != "" && !strings.Contains(rec.Body.String(), fmt.Sprintf(`"field":%q`, c.field)) {
				t.Errorf("422 body %s does not name field %q", rec.Body, c.field)
			}
			if after := h.head(); after != before {
				t.Fatalf("bad input appended: head %d → %d", before, after)
			}
		})
	}
}

func ptr(a domain.Actor) *domain.Actor { return &a }
