package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// castMember is one actor of the authorization matrix, relative to the
// world's orders (all placed by residentA; offered to and accepted by teamA).
type castMember struct {
	name  string
	actor func(w world) domain.Actor
}

var cast = []castMember{
	{"resident who placed it", func(world) domain.Actor { return residentA }},
	{"another resident", func(world) domain.Actor { return residentB }},
	{"team offered or accepting", func(w world) domain.Actor { return member(w.teamA) }},
	{"another team", func(w world) domain.Actor { return member(w.teamB) }},
	{"coordinator", func(world) domain.Actor { return coordinator }},
	{"admin", func(world) domain.Actor { return admin }},
	{"auditor", func(world) domain.Actor { return auditor }},
	{"analyst", func(world) domain.Actor { return analyst }},
}

// matrixEndpoint is one endpoint of the matrix: the request in a world, and
// the cast members it admits with their success status. Everybody else gets
// 403, and nobody signed out gets past 401.
type matrixEndpoint struct {
	name    string
	method  string
	path    func(w world) string
	body    func(w world) string
	allowed map[string]int
	// writes says a success appends events.
	writes bool
}

func fixed(s string) func(world) string { return func(world) string { return s } }

var matrix = []matrixEndpoint{
	{name: "place", method: http.MethodPost, path: fixed(api.APIPrefix + "/orders"),
		body:    func(world) string { return placeBody(domain.DemoDirectory().Stations()[0].ID) },
		allowed: map[string]int{"resident who placed it": 201, "another resident": 201}, writes: true},
	{name: "dispatch", method: http.MethodPost, path: func(w world) string { return orderPath(w.placed, "dispatch") },
		body:    func(w world) string { return fmt.Sprintf(`{"team_id":%q}`, w.teamB) },
		allowed: map[string]int{"coordinator": 200, "admin": 200}, writes: true},
	{name: "accept", method: http.MethodPost, path: func(w world) string { return orderPath(w.offered, "accept") },
		body: fixed(`{}`), allowed: map[string]int{"team offered or accepting": 200}, writes: true},
	{name: "decline", method: http.MethodPost, path: func(w world) string { return orderPath(w.offered, "decline") },
		body: fixed(`{"reason":"忙"}`), allowed: map[string]int{"team offered or accepting": 200}, writes: true},
	{name: "start", method: http.MethodPost, path: func(w world) string { return orderPath(w.accepted, "start") },
		body: fixed(`{}`), allowed: map[string]int{"team offered or accepting": 200}, writes: true},
	{name: "complete", method: http.MethodPost, path: func(w world) string { return orderPath(w.accepted, "complete") },
		body:    fixed(`{"notes":"done","volunteer_hours":2}`),
		allowed: map[string]int{"team offered or accepting": 200}, writes: true},
	{name: "rate", method: http.MethodPost, path: func(w world) string { return orderPath(w.completed, "rate") },
		body: fixed(`{"stars":4,"comment":"好"}`), allowed: map[string]int{"resident who placed it": 200}, writes: true},
	{name: "cancel", method: http.MethodPost, path: func(w world) string { return orderPath(w.offered, "cancel") },
		body:    fixed(`{"reason":"不需要了"}`),
		allowed: map[string]int{"resident who placed it": 200, "coordinator": 200, "admin": 200}, writes: true},
	{name: "register team", method: http.MethodPost, path: fixed(api.APIPrefix + "/teams"),
		body: func(world) string {
			return fmt.Sprintf(`{"name":"新队","station_id":%q,"skills":["legal"],"capacity":2}`, domain.DemoDirectory().Stations()[1].ID)
		},
		allowed: map[string]int{"coordinator": 201, "admin": 201}, writes: true},
	{name: "stations", method: http.MethodGet, path: fixed(api.APIPrefix + "/stations"), body: fixed(""),
		allowed: map[string]int{"resident who placed it": 200, "another resident": 200, "team offered or accepting": 200,
			"another team": 200, "coordinator": 200, "admin": 200, "auditor": 200, "analyst": 200}},
	{name: "events", method: http.MethodGet, path: func(w world) string { return orderPath(w.offered, "events") }, body: fixed(""),
		allowed: map[string]int{"auditor": 200, "coordinator": 200, "admin": 200}},
}

// TestAuthorizationMatrix sends every endpoint as every role and owner, and
// signed out. Each refusal must carry its code and append nothing; each
// success of a command must append.
func TestAuthorizationMatrix(t *testing.T) {
	for _, ep := range matrix {
		for _, who := range append(cast, castMember{name: "signed out"}) {
			t.Run(ep.name+"/"+who.name, func(t *testing.T) {
				h := newCmdHarness(t)
				w := h.world()
				r := req{method: ep.method, path: ep.path(w), body: ep.body(w)}
				if who.actor != nil {
					a := who.actor(w)
					r.as = &a
				}
				before := h.head()
				rec := h.send(r)
				after := h.head()

				want, ok := ep.allowed[who.name]
				switch {
				case who.actor == nil:
					if rec.Code != http.StatusUnauthorized || errorCode(rec) != api.CodeUnauthenticated {
						t.Fatalf("got %d %s; want 401 %s", rec.Code, rec.Body, api.CodeUnauthenticated)
					}
				case !ok:
					if rec.Code != http.StatusForbidden || errorCode(rec) != api.CodeForbidden {
						t.Fatalf("got %d %s; want 403 %s", rec.Code, rec.Body, api.CodeForbidden)
					}
				default:
					if rec.Code != want {
						t.Fatalf("got %d %s; want %d", rec.Code, rec.Body, want)
					}
					if ep.writes {
						if after <= before {
							t.Fatalf("success appended nothing: head %d → %d", before, after)
						}
						return
					}
				}
				if after != before {
					t.Fatalf("head moved %d → %d; a refused command or a read must append nothing", before, after)
				}
			})
		}
	}
}

// TestStateRefusals: commands that the actor may issue but the order's
// state does not allow get 409 (or 404 for no order) and append nothing.
func TestStateRefusals(t *testing.T) {
	h := newCmdHarness(t)
	w := h.world()
	legal := h.registerTeam(h.station(0).ID, 2, "legal")
	suspended := h.registerTeam(h.station(0).ID, 2, "errand")
	if _, err := h.cmds.SuspendTeam(context.Background(), app.SuspendTeam{
		Envelope: app.Envelope{Actor: coordinator}, TeamID: suspended, Reason: "培训中"}); err != nil {
		t.Fatal(err)
	}
	unknown := "0b7e3c4e-7a57-4d36-9d5d-6f7b8e1c2a3f"
	cases := []struct {
		name   string
		as     domain.Actor
		path   string
		body   string
		status int
		code   string
	}{
		{"accept a placed order", member(w.teamA), orderPath(w.placed, "accept"), `{}`, 409, api.CodeConflict},
		{"accept twice", member(w.teamA), orderPath(w.accepted, "accept"), `{}`, 409, api.CodeConflict},
		{"start before accepting", member(w.teamA), orderPath(w.offered, "start"), `{}`, 409, api.CodeConflict},
		{"complete a placed order", member(w.teamA), orderPath(w.placed, "complete"), `{"volunteer_hours":1}`, 409, api.CodeConflict},
		{"rate before completion", residentA, orderPath(w.accepted, "rate"), `{"stars":5}`, 409, api.CodeConflict},
		{"cancel a completed order", residentA, orderPath(w.completed, "cancel"), `{}`, 409, api.CodeConflict},
		{"dispatch a completed order", coordinator, orderPath(w.completed, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, w.teamB), 409, api.CodeConflict},
		{"dispatch to a team without the skill", coordinator, orderPath(w.placed, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, legal), 409, api.CodeConflict},
		{"dispatch to a suspended team", coordinator, orderPath(w.placed, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, suspended), 409, api.CodeConflict},
		{"dispatch to an unknown team", coordinator, orderPath(w.placed, "dispatch"), `{"team_id":"no-such-team"}`, 422, api.CodeInvalidField},
		{"accept an unknown order", member(w.teamA), orderPath(unknown, "accept"), `{}`, 404, api.CodeNotFound},
		{"cancel an unknown order", coordinator, orderPath(unknown, "cancel"), `{}`, 404, api.CodeNotFound},
		{"an order id that is not a UUID", coordinator, orderPath("not-a-uuid", "cancel"), `{}`, 404, api.CodeNotFound},
		{"events of an unknown order", auditor, orderPath(unknown, "events"), ``, 404, api.CodeNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := http.MethodPost
			if c.body == "" {
				method = http.MethodGet
			}
			before := h.head()
			rec := h.send(req{method: method, path: c.path, as: &c.as, body: c.body})
			if rec.Code != c.status || errorCode(rec) != c.code {
				t.Fatalf("got %d %s; want %d %s", rec.Code, rec.Body, c.status, c.code)
			}
			if c.status >= 400 && h.head() != before {
				t.Fatalf("refusal appended: head %d → %d", before, h.head())
			}
		})
	}
}
