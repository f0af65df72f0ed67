package app_test

import (
	"context"
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// BenchmarkPlaceOrder measures one command's load → decide → append on the
// in-memory store: the command layer's own cost.
func BenchmarkPlaceOrder(b *testing.B) {
	f := newFixture(b, app.Config{})
	ctx := context.Background()
	cmd := app.PlaceOrder{Envelope: as(resident), Category: domain.CategoryErrand, Title: "取快递", StationID: f.station(0).ID}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.cmds.PlaceOrder(ctx, cmd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOrderLifecycle measures the five commands after placing
// (dispatch, accept, start, complete, rate) on one order.
func BenchmarkOrderLifecycle(b *testing.B) {
	f := newFixture(b, app.Config{})
	ctx := context.Background()
	team := f.team("t", 0, 100, domain.CategoryErrand)
	m := as(teamMember(team))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		id := f.order(domain.CategoryErrand, 0)
		b.StartTimer()
		_, err1 := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: team})
		_, err2 := f.cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: m, OrderID: id})
		_, err3 := f.cmds.StartService(ctx, app.StartService{Envelope: m, OrderID: id})
		_, err4 := f.cmds.CompleteOrder(ctx, app.CompleteOrder{Envelope: m, OrderID: id, VolunteerHours: 1})
		_, err5 := f.cmds.RateOrder(ctx, app.RateOrder{Envelope: as(resident), OrderID: id, Stars: 5})
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
