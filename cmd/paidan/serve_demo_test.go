package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// serve --demo registers the demo district's teams, keeps orders coming so
// that the dispatcher offers them and the queue fills within a bounded wait,
// and prints tokens that work for each kind of user. Started again on the
// same data, it registers no team twice.
func TestServeDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, nil, "--demo")
	tokens := printedTokens(t, s)
	s.waitReady(60 * time.Second)
	eventually(t, 60*time.Second, "the demo's first automatic offer", func() bool {
		return s.metric("paidan_dispatcher_offers_total") >= 1
	})
	var queue reply
	eventually(t, 30*time.Second, "an order in the coordinators' queue", func() bool {
		queue = s.must(http.StatusOK, http.MethodGet, "/api/v1/queue", tokens["coordinator"], nil)
		rows, _ := queue.body["rows"].([]any)
		return len(rows) > 0
	})
	rows, _ := queue.body["rows"].([]any)
	order, _ := rows[0].(map[string]any)["order_id"].(string)
	// The write side's stream cache is on /metrics and in use.
	eventually(t, 30*time.Second, "a command that found its stream in the cache", func() bool {
		return s.metric("paidan_stream_cache_hits_total") >= 1 && s.metric("paidan_stream_cache_streams") >= 1
	})

	// Every printed token signs its user in to something that user may do.
	for _, c := range []struct{ role, path string }{
		{"coordinator", "/api/v1/teams"},
		{"resident", "/api/v1/stations"},
		{"auditor", "/api/v1/orders/" + order + "/events"},
		{"analyst", "/api/v1/stats/satisfaction?by=institute"},
		{"team", "/api/v1/offers"},
	} {
		if tok := tokens[c.role]; tok == "" {
			t.Errorf("serve --demo printed no %s token:\n%s", c.role, s.out.String())
		} else {
			s.must(http.StatusOK, http.MethodGet, c.path, tok, nil)
		}
	}
	if r := s.call(http.MethodGet, "/dashboard/", "", nil, nil); r.status != http.StatusOK ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /dashboard/: expected 200 text/html, found %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.Contains(s.out.String(), "Dashboard: "+s.url+"/dashboard/") {
		t.Errorf("serve --demo did not print the dashboard's URL:\n%s", s.out.String())
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve --demo after SIGTERM: %v", err)
	}
	if n := countEvents(t, dir, domain.EventTypeTeamRegistered); n != domain.DemoTeamCount {
		t.Fatalf("after the first start: expected %d teams registered, found %d", domain.DemoTeamCount, n)
	}

	again := startServe(t, dir, nil, "--demo")
	again.waitReady(60 * time.Second)
	// The load runs only once the teams are registered, so a new offer (this
	// process's counter starts at zero) means the second Setup is over.
	eventually(t, 60*time.Second, "an automatic offer after the restart", func() bool {
		return again.metric("paidan_dispatcher_offers_total") >= 1
	})
	if err := again.stop(); err != nil {
		t.Fatalf("the second serve --demo after SIGTERM: %v", err)
	}
	if n := countEvents(t, dir, domain.EventTypeTeamRegistered); n != domain.DemoTeamCount {
		t.Errorf("after a restart: expected still %d teams registered, found %d", domain.DemoTeamCount, n)
	}
}

// printedTokens reads the tokens serve --demo printed, by role.
func printedTokens(t *testing.T, s *served) map[string]string {
	t.Helper()
	line := regexp.MustCompile(`(?m)^  (coordinator|resident|auditor|analyst|team)\s+(\S+)`)
	tokens := map[string]string{}
	eventually(t, 10*time.Second, "serve --demo to print five tokens", func() bool {
		for _, m := range line.FindAllStringSubmatch(s.out.String(), -1) {
			tokens[m[1]] = m[2]
		}
		return len(tokens) == 5
	})
	return tokens
}

// countEvents opens the embedded store in dir (serve must have stopped) and
// counts the events of one type.
func countEvents(t *testing.T, dir, eventType string) int {
	t.Helper()
	store, err := openStore(mustConfig(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n := 0
	for from := eventstore.Start; ; {
		page, err := store.ReadAll(context.Background(), eventstore.ReadAllOptions{From: from, Limit: 4096})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page {
			if ev.Type == eventType {
				n++
			}
			// The embedded store's positions have no gaps.
			from = ev.Position + 1
		}
		if len(page) < 4096 {
			return n
		}
	}
}
