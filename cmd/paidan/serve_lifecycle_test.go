package main

import (
	"context"
	"database/sql"
	"net/http"
	neturl "net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

var (
	coordinator = domain.Actor{Subject: "cora", Role: domain.RoleCoordinator}
	resident    = domain.Actor{Subject: "rui", Role: domain.RoleResident}
	auditor     = domain.Actor{Subject: "audrey", Role: domain.RoleAuditor}
)

// Stations of the built-in demo district: two of one institute, one of
// another.
const (
	stationNear  = "wanshoulu-001"
	stationMid   = "wanshoulu-002"
	stationOther = "yongdinglu-001"
)

// backend is where a test's serve keeps its events.
type backend struct {
	name string
	// args returns serve's extra flags; it may start a protocol test server.
	args func(t *testing.T) []string
}

var backends = []backend{
	{"embedded", func(*testing.T) []string { return nil }},
	{"eventstoredb", func(t *testing.T) []string { return []string{"--esdb", startESDB(t).URL()} }},
	{"embedded+postgres_views", func(t *testing.T) []string { return []string{"--views", pgViewsDSN(t)} }},
}

// startESDB starts the EventStoreDB protocol test server for one test.
func startESDB(t *testing.T) *esdbtest.Server {
	t.Helper()
	srv, err := esdbtest.Start(esdbtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// registerTeam registers a team as a coordinator and returns its id.
func registerTeam(s *served, name, station string, capacity int) string {
	s.t.Helper()
	r := s.must(http.StatusCreated, http.MethodPost, "/api/v1/teams", s.token(coordinator),
		map[string]any{"name": name, "station_id": station, "skills": []string{"errand", "health"}, "capacity": capacity})
	id := r.str("team_id")
	if id == "" {
		s.t.Fatalf("POST /teams answered no team_id: %s", r.raw)
	}
	return id
}

// placeOrder places an errand at station as the resident.
func placeOrder(s *served, station string) (id, pos string) {
	s.t.Helper()
	r := s.must(http.StatusCreated, http.MethodPost, "/api/v1/orders", s.token(resident),
		map[string]any{"category": "errand", "title": "送药", "details": "降压药两盒", "station_id": station, "contact": "138-0000-0000"})
	if r.str("order_id") == "" || r.position() == "" {
		s.t.Fatalf("POST /orders answered no order_id or position: %v %s", r.header, r.raw)
	}
	return r.str("order_id"), r.position()
}

// eventTypes lists an order's events as the auditors' endpoint gives them.
func eventTypes(s *served, order string) []string {
	s.t.Helper()
	r := s.must(http.StatusOK, http.MethodGet, "/api/v1/orders/"+order+"/events", s.token(auditor), nil)
	evs, _ := r.body["events"].([]any)
	var types []string
	for i, e := range evs {
		m, _ := e.(map[string]any)
		if rev, _ := m["revision"].(float64); int(rev) != i {
			s.t.Fatalf("order %s: event %d has revision %v; expected revisions 0, 1, 2… without gaps", order, i, m["revision"])
		}
		typ, _ := m["type"].(string)
		types = append(types, typ)
	}
	return types
}

// The whole lifecycle through HTTP with a coordinator's dispatch, on the
// embedded store and on EventStoreDB (the protocol test server): place →
// dispatch → accept → start → complete → rate, and GET /orders/{id} showing
// each step once the read model reached the command's position.
func TestServeLifecycle(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, t.TempDir(), map[string]string{"PAIDAN_AUTO_DISPATCH": "false"}, b.args(t)...)
			s.waitReady(30 * time.Second)
			team := registerTeam(s, "万寿路送药队", stationNear, 2)
			member := s.token(domain.Actor{Subject: "lin", Role: domain.RoleTeam, TeamID: team})
			order, pos := placeOrder(s, stationNear)
			path := "/api/v1/orders/" + order

			got := s.readAt(path, s.token(resident), pos)
			if got.str("status") != "placed" {
				t.Fatalf("after placing: expected status placed (no automatic dispatch), found %q", got.str("status"))
			}
			d := s.must(http.StatusOK, http.MethodPost, path+"/dispatch", s.token(coordinator), map[string]any{"team_id": team})
			if d.str("status") != "offered" || d.str("team_id") != team || d.str("offer_id") == "" {
				t.Fatalf("dispatch: expected offered to %s with an offer id, found %s", team, d.raw)
			}
			steps := []struct {
				cmd    string
				as     string
				body   map[string]any
				status string
			}{
				{"accept", member, map[string]any{}, "accepted"},
				{"start", member, map[string]any{}, "in_service"},
				{"complete", member, map[string]any{"notes": "delivered", "volunteer_hours": 1.5}, "completed"},
				{"rate", s.token(resident), map[string]any{"stars": 5, "comment": "谢谢"}, "rated"},
			}
			for _, st := range steps {
				r := s.must(http.StatusOK, http.MethodPost, path+"/"+st.cmd, st.as, st.body)
				got := s.readAt(path, s.token(resident), r.position())
				if got.str("status") != st.status {
					t.Fatalf("after %s: expected GET to show %q, found %q: %s", st.cmd, st.status, got.str("status"), got.raw)
				}
			}
			got = s.readAt(path, s.token(coordinator), "0")
			if got.str("team_id") != team || got.body["stars"] != 5.0 || got.body["volunteer_hours"] != 1.5 {
				t.Errorf("the rated order: expected team %s, 5 stars, 1.5 hours; found %s", team, got.raw)
			}
			want := []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered, domain.EventTypeOfferAccepted,
				domain.EventTypeServiceStarted, domain.EventTypeOrderCompleted, domain.EventTypeOrderRated}
			if types := eventTypes(s, order); !slices.Equal(types, want) {
				t.Errorf("the order's events: expected %v, found %v", want, types)
			}
			if err := s.stop(); err != nil {
				t.Errorf("serve after SIGTERM: %v", err)
			}
		})
	}
}

// With automatic dispatch on, a placed order is offered by the dispatcher to
// the team at its own station, ahead of one of the same institute and one of
// another, on both stores.
func TestServeDispatchesAutomatically(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, t.TempDir(), nil, b.args(t)...)
			s.waitReady(30 * time.Second)
			registerTeam(s, "other", stationOther, 3)
			registerTeam(s, "mid", stationMid, 3)
			near := registerTeam(s, "near", stationNear, 1)
			order, _ := placeOrder(s, stationNear)
			var got reply
			eventually(t, 30*time.Second, "the order to be offered automatically", func() bool {
				got = s.call(http.MethodGet, "/api/v1/orders/"+order, s.token(coordinator), nil, nil)
				return got.status == http.StatusOK && got.str("status") != "placed"
			})
			if got.str("status") != "offered" || got.str("team_id") != near {
				t.Fatalf("expected the order offered to the same-station team %s, found %s", near, got.raw)
			}
			if n := s.metric("paidan_dispatcher_offers_total"); n != 1 {
				t.Errorf("paidan_dispatcher_offers_total: expected 1, found %v", n)
			}
		})
	}
}

// EventStoreDB goes away while serve runs: serve keeps running, a command is
// refused with 503 store_unavailable, /readyz says the store is down. When it
// returns, the next command succeeds, the projections and the dispatcher
// resume from their checkpoints (the new order is offered and GET shows it),
// and the log holds every event once.
func TestServeRidesOutAnEventStoreDBOutage(t *testing.T) {
	t.Parallel()
	srv := startESDB(t)
	// Fail calls fast during the outage (the client's defaults take ~1s).
	url := srv.URL() + "&maxDiscoverAttempts=3&discoveryInterval=50"
	s := startServe(t, t.TempDir(), nil, "--esdb", url)
	s.waitReady(30 * time.Second)
	team := registerTeam(s, "near", stationNear, 5)
	member := s.token(domain.Actor{Subject: "lin", Role: domain.RoleTeam, TeamID: team})
	offered := func(order string) {
		t.Helper()
		eventually(t, 30*time.Second, "order "+order+" to be offered to "+team, func() bool {
			got := s.call(http.MethodGet, "/api/v1/orders/"+order, s.token(coordinator), nil, nil)
			return got.status == http.StatusOK && got.str("status") == "offered" && got.str("team_id") == team
		})
	}
	before, _ := placeOrder(s, stationNear)
	offered(before)

	srv.Stop()
	r := s.call(http.MethodPost, "/api/v1/orders", s.token(resident),
		map[string]any{"category": "errand", "title": "送药", "station_id": stationNear, "contact": "x"}, nil)
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "store_unavailable" {
		t.Fatalf("a command during the outage: expected 503 store_unavailable, found %d: %s", r.status, r.raw)
	}
	ready := s.call(http.MethodGet, "/readyz", "", nil, nil)
	if ready.status != http.StatusServiceUnavailable || !storeCheckFailed(ready) {
		t.Fatalf("/readyz during the outage: expected 503 with the store check failing, found %d: %s", ready.status, ready.raw)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	s.waitReady(30 * time.Second)
	after, _ := placeOrder(s, stationNear)
	offered(after)
	acc := s.must(http.StatusOK, http.MethodPost, "/api/v1/orders/"+before+"/accept", member, map[string]any{})
	got := s.readAt("/api/v1/orders/"+before, s.token(coordinator), acc.position())
	if got.str("status") != "accepted" || got.body["offers"] != 1.0 {
		t.Errorf("the order offered before the outage: expected accepted after exactly one offer, found %s", got.raw)
	}
	teamRow := s.readAt("/api/v1/teams/"+team, s.token(coordinator), acc.position())
	if teamRow.body["load"] != 2.0 || teamRow.body["offers_total"] != 2.0 {
		t.Errorf("the team's board: expected load 2 and 2 offers in all (one per order), found %s", teamRow.raw)
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}

	// The log itself, read with a client of our own: each order placed and
	// offered exactly once, no event id twice, the refused command absent.
	store, err := esdb.Open(context.Background(), srv.URL(), esdb.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The test appends a few dozen events: one read holds them all.
	const limit = 10000
	all, err := store.ReadAll(context.Background(), eventstore.ReadAllOptions{From: eventstore.Start, Limit: limit})
	if err != nil || len(all) >= limit {
		t.Fatalf("reading the log: %d events, %v", len(all), err)
	}
	count := map[string]int{}
	ids := map[[16]byte]bool{}
	for _, ev := range all {
		if ids[ev.ID] {
			t.Errorf("event %x (%s in %s) is in the log twice", ev.ID, ev.Type, ev.StreamID)
		}
		ids[ev.ID] = true
		count[ev.StreamID+" "+ev.Type]++
	}
	orders := 0
	for _, o := range []string{before, after} {
		for _, typ := range []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered} {
			if n := count["order-"+o+" "+typ]; n != 1 {
				t.Errorf("order %s: expected one %s in the log, found %d", o, typ, n)
			}
		}
	}
	for k, n := range count {
		if strings.HasPrefix(k, "order-") && strings.HasSuffix(k, " "+domain.EventTypeOrderPlaced) {
			orders += n
		}
	}
	if orders != 2 {
		t.Errorf("expected 2 orders in the log (the refused one absent), found %d", orders)
	}
}

// storeCheckFailed says whether a /readyz answer has the store check failing.
func storeCheckFailed(r reply) bool {
	checks, _ := r.body["checks"].([]any)
	for _, c := range checks {
		m, _ := c.(map[string]any)
		if m["name"] == "store" {
			return m["ok"] == false
		}
	}
	return false
}

// pgViewsDSN is PAIDAN_TEST_PG_DSN with a fresh schema of its own as the
// search path, dropped after the test, so serve's read models never meet
// another test's tables. It skips (fails when CI=true) without PostgreSQL.
func pgViewsDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PAIDAN_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PAIDAN_TEST_PG_DSN is not set; CI must test serve on PostgreSQL read models")
		}
		t.Skip("PAIDAN_TEST_PG_DSN is not set; skipping serve on PostgreSQL read models")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at PAIDAN_TEST_PG_DSN is unreachable: %v", err)
		}
		t.Skipf("PostgreSQL at PAIDAN_TEST_PG_DSN is unreachable, skipping: %v", err)
	}
	schema := "servetest_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := neturl.Parse(dsn)
	if err != nil {
		t.Fatalf("PAIDAN_TEST_PG_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// EventStoreDB down when serve starts: serve starts anyway, not ready, and
// refuses commands with 503; once the server is up it becomes ready and the
// first command succeeds and is projected.
func TestServeStartsWhileEventStoreDBIsDown(t *testing.T) {
	t.Parallel()
	srv := startESDB(t)
	srv.Stop()
	s := startServe(t, t.TempDir(), nil, "--esdb", srv.URL()+"&maxDiscoverAttempts=3&discoveryInterval=50")
	ready := s.call(http.MethodGet, "/readyz", "", nil, nil)
	if ready.status != http.StatusServiceUnavailable || !storeCheckFailed(ready) {
		t.Fatalf("/readyz with EventStoreDB down: expected 503 with the store check failing, found %d: %s", ready.status, ready.raw)
	}
	r := s.call(http.MethodPost, "/api/v1/teams", s.token(coordinator),
		map[string]any{"name": "near", "station_id": stationNear, "skills": []string{"errand"}, "capacity": 1}, nil)
	if r.status != http.StatusServiceUnavailable || r.errorCode() != "store_unavailable" {
		t.Fatalf("a command with EventStoreDB down: expected 503 store_unavailable, found %d: %s", r.status, r.raw)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	s.waitReady(30 * time.Second)
	registerTeam(s, "near", stationNear, 1)
	order, pos := placeOrder(s, stationNear)
	if got := s.readAt("/api/v1/orders/"+order, s.token(resident), pos); got.str("order_id") != order {
		t.Fatalf("GET the order placed after EventStoreDB came up: %s", got.raw)
	}
}
