package domain_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// Fixed facts the aggregate tests are written in.
var (
	t0       = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	orderID  = uuid.MustParse("0190c0de-0000-7000-8000-000000000001")
	offer1   = uuid.MustParse("0190c0de-0000-7000-8000-0000000000a1")
	offer2   = uuid.MustParse("0190c0de-0000-7000-8000-0000000000a2")
	resident = domain.Actor{Subject: "res-li", Role: domain.RoleResident}
	stranger = domain.Actor{Subject: "res-wang", Role: domain.RoleResident}
	coord    = domain.Actor{Subject: "coord-zhao", Role: domain.RoleCoordinator}
	admin    = domain.Actor{Subject: "admin-qian", Role: domain.RoleAdmin}
	auditor  = domain.Actor{Subject: "aud-sun", Role: domain.RoleAuditor}
	system   = domain.SystemActor("dispatcher")
	teamA    = domain.Actor{Subject: "vol-a", Role: domain.RoleTeam, TeamID: "team-a"}
	teamB    = domain.Actor{Subject: "vol-b", Role: domain.RoleTeam, TeamID: "team-b"}
)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func placed() domain.OrderPlaced {
	return domain.OrderPlaced{
		OrderID: orderID, Resident: resident.Subject, Category: domain.CategoryErrand,
		Title: "送药", Details: "降压药两盒，楼下药店", StationID: "zhongguancun-003",
		InstituteID: "zhongguancun", Contact: "138-0000-0000", PlacedAt: t0,
	}
}

func offered(offer uuid.UUID, team string, attempt int, automatic bool) domain.OrderOffered {
	e := domain.OrderOffered{
		OrderID: orderID, OfferID: offer, TeamID: team, ExpiresAt: at(10*attempt + 10),
		OfferedAt: at(10 * attempt), Automatic: automatic, Attempt: attempt,
		Category: domain.CategoryErrand, StationID: "zhongguancun-003", InstituteID: "zhongguancun",
	}
	if !automatic {
		e.By = coord.Subject
	}
	return e
}

func accepted(offer uuid.UUID, team, by string) domain.OfferAccepted {
	return domain.OfferAccepted{OrderID: orderID, OfferID: offer, TeamID: team, By: by, AcceptedAt: at(12)}
}

func completed() domain.OrderCompleted {
	return domain.OrderCompleted{OrderID: orderID, TeamID: "team-a", VolunteerHours: 1.5, Notes: "已送达",
		Category: domain.CategoryErrand, StationID: "zhongguancun-003", InstituteID: "zhongguancun", CompletedAt: at(60)}
}

// orderAfter rebuilds an order from history or fails the test.
func orderAfter(t *testing.T, history ...domain.Event) *domain.Order {
	t.Helper()
	o, err := domain.RehydrateOrder(history)
	if err != nil {
		t.Fatalf("RehydrateOrder: %v", err)
	}
	return o
}

// lifecycle is the history of an order accepted by team-a and completed.
func lifecycle() []domain.Event {
	return []domain.Event{placed(), offered(offer1, "team-a", 1, true), accepted(offer1, "team-a", "vol-a"), completed()}
}

func eventsEqual(t *testing.T, got, want []domain.Event) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got  %#v\n want %#v", got, want)
	}
}
