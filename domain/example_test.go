package domain_test

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// A whole lifecycle: each command decides events from the order as replayed
// so far; the caller stores them and applies them.
func Example() {
	dir := domain.DemoDirectory()
	now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	resident := domain.Actor{Subject: "res-li", Role: domain.RoleResident}
	team := domain.Actor{Subject: "vol-a", Role: domain.RoleTeam, TeamID: "team-a"}

	placed, err := domain.PlaceOrder(dir, resident, domain.NewOrder{
		ID: uuid.MustParse("0190c0de-0000-7000-8000-000000000001"), Category: domain.CategoryErrand,
		Title: "取快递", StationID: "yongdinglu-001",
	}, now)
	if err != nil {
		panic(err)
	}
	history := []domain.Event{placed}
	step := func(decide func(o *domain.Order) ([]domain.Event, error)) {
		o, err := domain.RehydrateOrder(history)
		if err != nil {
			panic(err)
		}
		events, err := decide(o)
		if err != nil {
			fmt.Println("refused:", err)
			return
		}
		history = append(history, events...)
	}

	teams := []domain.TeamSnapshot{
		{TeamID: "team-a", StationID: "yongdinglu-001", InstituteID: "yongdinglu", Skills: []domain.Category{domain.CategoryErrand}, Capacity: 2, Active: true},
		{TeamID: "team-b", StationID: "yongdinglu-002", InstituteID: "yongdinglu", Skills: []domain.Category{domain.CategoryErrand}, Capacity: 2, Active: true},
	}
	step(func(o *domain.Order) ([]domain.Event, error) {
		decision := domain.RankTeams(o.DispatchOrder(), teams).Summary(domain.DecisionRecordLimit)
		best, _ := decision.Best()
		return o.Offer(domain.SystemActor("dispatcher"), domain.OfferRequest{
			OfferID: uuid.MustParse("0190c0de-0000-7000-8000-0000000000a1"), TeamID: best,
			ExpiresAt: now.Add(10 * time.Minute), Decision: &decision,
		}, now)
	})
	step(func(o *domain.Order) ([]domain.Event, error) { return o.Rate(resident, 5, "", now) })
	step(func(o *domain.Order) ([]domain.Event, error) { return o.Accept(team, uuid.Nil, now.Add(time.Minute)) })
	step(func(o *domain.Order) ([]domain.Event, error) {
		return o.Complete(team, 0.5, "送到家门口", now.Add(time.Hour))
	})
	step(func(o *domain.Order) ([]domain.Event, error) {
		return o.Rate(resident, 5, "谢谢", now.Add(2*time.Hour))
	})

	for _, e := range history {
		typ, data, _ := domain.MarshalEvent(e)
		back, _ := domain.UnmarshalEvent(typ, data)
		if off, ok := back.(domain.OrderOffered); ok {
			c := off.Decision.Candidates[0]
			fmt.Printf("%s to %s (%s tier, %d candidates)\n", typ, off.TeamID, c.Tier, off.Decision.CandidateCount)
			continue
		}
		fmt.Println(typ)
	}
	o, _ := domain.RehydrateOrder(history)
	fmt.Println(o.Status(), o.AcceptedTeam(), o.Stars())
	// Output:
	// refused: order is not completed: status is offered
	// OrderPlaced
	// OrderOffered to team-a (station tier, 2 candidates)
	// OfferAccepted
	// OrderCompleted
	// OrderRated
	// rated team-a 5
}
