package domain_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// TestOrderEventsReportTheirOrder: every event of an order stream is a
// domain.OrderEvent and reports the order its stream names, so projections can
// key rows by order without listing event types; team events are not.
func TestOrderEventsReportTheirOrder(t *testing.T) {
	id := uuid.MustParse("8b5d2c0e-6f0a-4d3e-9c61-2a7f4b1e9d03")
	orderEvents := []domain.Event{
		domain.OrderPlaced{OrderID: id}, domain.OrderOffered{OrderID: id}, domain.OfferAccepted{OrderID: id},
		domain.OfferDeclined{OrderID: id}, domain.OfferExpired{OrderID: id}, domain.OfferWithdrawn{OrderID: id},
		domain.OrderEscalated{OrderID: id}, domain.ServiceStarted{OrderID: id}, domain.OrderCompleted{OrderID: id},
		domain.OrderRated{OrderID: id}, domain.OrderCancelled{OrderID: id},
	}
	seen := map[string]bool{}
	for _, e := range orderEvents {
		oe, ok := e.(domain.OrderEvent)
		if !ok {
			t.Errorf("%s is not a domain.OrderEvent", e.EventType())
			continue
		}
		if oe.Order() != id || e.StreamID() != domain.OrderStream(id) {
			t.Errorf("%s: Order() %s, stream %s; want %s", e.EventType(), oe.Order(), e.StreamID(), id)
		}
		seen[e.EventType()] = true
	}
	for _, typ := range domain.EventTypes() {
		if strings.HasPrefix(typ, "Team") {
			continue
		}
		if !seen[typ] {
			t.Errorf("event type %s is missing from this test: is it an order event?", typ)
		}
	}
	for _, e := range []domain.Event{domain.TeamRegistered{TeamID: "t-1"}, domain.TeamSuspended{TeamID: "t-1"}} {
		if _, ok := e.(domain.OrderEvent); ok {
			t.Errorf("%s must not be an OrderEvent", e.EventType())
		}
	}
}
