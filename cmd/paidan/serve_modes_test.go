package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/domain"
)

// PAIDAN_AUTO_DISPATCH=false: the dispatcher offers nothing, but a
// coordinator's offer still expires after PAIDAN_OFFER_TTL and the order is
// placed again, waiting for a coordinator.
func TestServeManualDispatchStillExpiresOffers(t *testing.T) {
	t.Parallel()
	s := startServe(t, t.TempDir(), map[string]string{"PAIDAN_AUTO_DISPATCH": "false", "PAIDAN_OFFER_TTL": "1s"})
	s.waitReady(30 * time.Second)
	team := registerTeam(s, "near", stationNear, 2)
	order, _ := placeOrder(s, stationNear)
	path := "/api/v1/orders/" + order
	s.must(http.StatusOK, http.MethodPost, path+"/dispatch", s.token(coordinator), map[string]any{"team_id": team})

	var got reply
	eventually(t, 30*time.Second, "the offer to expire", func() bool {
		got = s.call(http.MethodGet, path, s.token(coordinator), nil, nil)
		return got.status == http.StatusOK && got.body["expiries"] == 1.0
	})
	if got.str("status") != "placed" {
		t.Fatalf("after the offer expired: expected the order placed again, found %s", got.raw)
	}
	// Both triggers (the placement and the expiry) reached the dispatcher;
	// with automatic dispatch off it made no offer of either.
	eventually(t, 30*time.Second, "the dispatcher to see both triggers", func() bool {
		return s.metric("paidan_dispatcher_triggers_total") >= 2
	})
	if n := s.metric("paidan_dispatcher_offers_total"); n != 0 {
		t.Errorf("paidan_dispatcher_offers_total with automatic dispatch off: expected 0, found %v", n)
	}
	want := []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered, domain.EventTypeOfferExpired}
	if types := eventTypes(s, order); !slices.Equal(types, want) {
		t.Errorf("the order's events: expected %v, found %v", want, types)
	}
}

// SIGTERM stops the parts in dependency order: HTTP first (requests in
// flight finish), then the simulated load and the dispatcher, then the
// projections, the read models and the event store last. It is sent while
// the demo registers its teams, so the projections are busy; nothing may
// fail on the way down (a projection stopped with a batch open used to hold
// the others and then write to closed read models).
func TestServeShutsDownInOrder(t *testing.T) {
	t.Parallel()
	s := startServe(t, t.TempDir(), nil, "--demo", "--log-level", "info")
	s.waitReady(60 * time.Second)
	eventually(t, 60*time.Second, "the demo to be registering teams", func() bool {
		return s.metric(`paidan_projection_events_total{projection="teams"}`) >= 200
	})
	if err := s.stop(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	logs := s.logs.String()
	steps := []string{`msg="HTTP stopped"`, `msg="demo load stopped"`, `msg="dispatcher stopped"`,
		`msg="projections stopped"`, `msg="read models closed"`, `msg="event store closed"`}
	at := -1
	for _, step := range steps {
		i := strings.Index(logs, step)
		if i < 0 {
			t.Fatalf("shutdown did not log %s:\n%s", step, logs)
		}
		if i < at {
			t.Errorf("shutdown logged %s before the step that must precede it", step)
		}
		at = i
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=ERROR") && !strings.Contains(line, `msg="http request"`) {
			t.Errorf("shutdown logged an error: %s", line)
		}
	}
}
