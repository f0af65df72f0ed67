package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestDispatchToTheTeamAlreadyOffered: when the dispatcher got there first, a
// coordinator dispatching to the same team finds the order as they want it.
// The answer is the offer that stands (same offer id and expiry), 200, and
// nothing is appended; a different team is a reassignment.
func TestDispatchToTheTeamAlreadyOffered(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(0).ID
	teamA := h.registerTeam(st, 3, "errand")
	teamB := h.registerTeam(h.station(1).ID, 3, "errand")
	id := h.placeOrder(residentA)

	first := h.post(coordinator, orderPath(id, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, teamA), http.StatusOK)
	before := h.head()
	again := h.post(coordinator, orderPath(id, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, teamA), http.StatusOK)
	if h.head() != before {
		t.Fatalf("dispatching to the team already offered it appended events (head %d → %d)", before, h.head())
	}
	for _, k := range []string{"status", "team_id", "offer_id", "expires_at", "revision"} {
		if again[k] != first[k] {
			t.Errorf("%s: second dispatch answered %v, want the standing offer's %v", k, again[k], first[k])
		}
	}

	moved := h.post(coordinator, orderPath(id, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, teamB), http.StatusOK)
	if moved["team_id"] != teamB || moved["offer_id"] == first["offer_id"] || h.head() == before {
		t.Errorf("reassignment to another team: got %v, want a new offer to %s", moved, teamB)
	}
}
