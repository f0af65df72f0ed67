package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
)

// The write side's HTTP harness: a server with the command routes on an
// in-memory store, a clock the test moves, and tokens for a cast of actors.

var cmdSecret = []byte(strings.Repeat("k", 32))

// testClock is the commands' clock; tests move it.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type cmdHarness struct {
	t     *testing.T
	srv   *api.Server
	store eventstore.Store
	cmds  *app.Commands
	mint  *auth.HMAC
	clock *testClock
	dir   *domain.Directory
}

const testOfferTTL = 10 * time.Minute

func newCmdHarness(t *testing.T) *cmdHarness {
	t.Helper()
	store, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return newCmdHarnessOn(t, store)
}

func newCmdHarnessOn(t *testing.T, store eventstore.Store) *cmdHarness {
	t.Helper()
	mint, err := auth.NewHMAC(cmdSecret, auth.HMACConfig{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)}
	dir := domain.DemoDirectory()
	cmds, err := app.New(app.Deps{Store: store, Directory: dir, Clock: clock}, app.Config{OfferTTL: testOfferTTL})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.NewServer(api.Deps{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: mint,
	}, api.Config{RatePerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	routes, err := api.NewCommandRoutes(api.CommandDeps{Commands: cmds, Store: store, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(routes.Register)
	return &cmdHarness{t: t, srv: srv, store: store, cmds: cmds, mint: mint, clock: clock, dir: dir}
}

// The cast. Team members get their team id once the team is registered.
var (
	residentA   = domain.Actor{Subject: "resident-a", Role: domain.RoleResident}
	residentB   = domain.Actor{Subject: "resident-b", Role: domain.RoleResident}
	coordinator = domain.Actor{Subject: "coordinator-1", Role: domain.RoleCoordinator}
	auditor     = domain.Actor{Subject: "auditor-1", Role: domain.RoleAuditor}
	analyst     = domain.Actor{Subject: "analyst-1", Role: domain.RoleAnalyst}
	admin       = domain.Actor{Subject: "admin-1", Role: domain.RoleAdmin}
)

func member(teamID string) domain.Actor {
	return domain.Actor{Subject: "member-of-" + teamID, Role: domain.RoleTeam, TeamID: teamID}
}

func (h *cmdHarness) token(a domain.Actor) string {
	h.t.Helper()
	tok, err := h.mint.Mint(a, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// station is a station of the demo directory; i picks which.
func (h *cmdHarness) station(i int) domain.Station { return h.dir.Stations()[i] }

// req is one request to send.
type req struct {
	method, path string
	as           *domain.Actor // nil: no Authorization header
	token        string        // overrides as
	body         string
	header       map[string]string
}

// send runs one request through the server.
func (h *cmdHarness) send(r req) *httptest.ResponseRecorder {
	h.t.Helper()
	var body io.Reader = http.NoBody
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	switch {
	case r.token != "":
		hr.Header.Set("Authorization", "Bearer "+r.token)
	case r.as != nil:
		hr.Header.Set("Authorization", "Bearer "+h.token(*r.as))
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, hr)
	return rec
}

// post sends a JSON command as a and requires status want, returning the body.
func (h *cmdHarness) post(a domain.Actor, path, body string, want int) map[string]any {
	h.t.Helper()
	rec := h.send(req{method: http.MethodPost, path: path, as: &a, body: body})
	if rec.Code != want {
		h.t.Fatalf("POST %s as %s: status %d, want %d; body %s", path, a.Subject, rec.Code, want, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		h.t.Fatalf("POST %s: body %q: %v", path, rec.Body, err)
	}
	return out
}

// head is the global position of the store's last event (0 when empty):
// comparing it before and after a request tells whether anything was appended.
func (h *cmdHarness) head() eventstore.Position {
	h.t.Helper()
	evs, err := h.store.ReadAll(context.Background(), eventstore.ReadAllOptions{From: eventstore.End,
		Direction: eventstore.Backwards, Limit: 1})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[0].Position
}

func orderPath(id string, verb string) string {
	if verb == "" {
		return api.APIPrefix + "/orders/" + id
	}
	return api.APIPrefix + "/orders/" + id + "/" + verb
}

// placeBody is a valid order body at station st.
func placeBody(st string) string {
	return fmt.Sprintf(`{"category":"errand","title":"取药","details":"请帮忙到社区医院取降压药","station_id":%q,"contact":"138-0000-0000"}`, st)
}

// registerTeam registers a team at station st with skills and returns its id.
func (h *cmdHarness) registerTeam(st string, capacity int, skills ...string) string {
	h.t.Helper()
	sk, _ := json.Marshal(skills)
	out := h.post(coordinator, api.APIPrefix+"/teams",
		fmt.Sprintf(`{"name":"志愿服务队 %s","station_id":%q,"skills":%s,"capacity":%d}`, st, st, sk, capacity), http.StatusCreated)
	id, _ := out["team_id"].(string)
	if id == "" {
		h.t.Fatalf("register team: no team_id in %v", out)
	}
	return id
}

func (h *cmdHarness) placeOrder(a domain.Actor) string {
	h.t.Helper()
	out := h.post(a, api.APIPrefix+"/orders", placeBody(h.station(0).ID), http.StatusCreated)
	id, _ := out["order_id"].(string)
	if _, err := uuid.Parse(id); err != nil {
		h.t.Fatalf("place order: order_id %q: %v", id, err)
	}
	return id
}

// world is a district with two teams and orders placed by residentA in
// every state the commands act on.
type world struct {
	teamA, teamB                         string
	placed, offered, accepted, completed string
}

func (h *cmdHarness) world() world {
	h.t.Helper()
	st := h.station(0).ID
	w := world{
		teamA: h.registerTeam(st, 5, "errand", "health"),
		teamB: h.registerTeam(st, 5, "errand"),
	}
	w.placed = h.placeOrder(residentA)
	w.offered = h.placeOrder(residentA)
	h.post(coordinator, orderPath(w.offered, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, w.teamA), http.StatusOK)
	w.accepted = h.placeOrder(residentA)
	h.post(coordinator, orderPath(w.accepted, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, w.teamA), http.StatusOK)
	h.post(member(w.teamA), orderPath(w.accepted, "accept"), `{}`, http.StatusOK)
	w.completed = h.placeOrder(residentA)
	h.post(coordinator, orderPath(w.completed, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, w.teamA), http.StatusOK)
	h.post(member(w.teamA), orderPath(w.completed, "accept"), `{}`, http.StatusOK)
	h.post(member(w.teamA), orderPath(w.completed, "complete"), `{"notes":"送到了","volunteer_hours":1.5}`, http.StatusOK)
	return w
}

// errorCode decodes the error envelope's code ("" when the body is not one).
func errorCode(rec *httptest.ResponseRecorder) string {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &env)
	return env.Error.Code
}

// events lists the types stored in an order's stream, oldest first.
func (h *cmdHarness) events(orderID string) []string {
	h.t.Helper()
	id, err := uuid.Parse(orderID)
	if err != nil {
		h.t.Fatal(err)
	}
	recs, err := h.store.ReadStream(context.Background(), domain.OrderStream(id),
		eventstore.ReadStreamOptions{Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Type
	}
	return out
}
