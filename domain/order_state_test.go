package domain_test

import (
	"reflect"
	"testing"

	"github.com/paidan/paidan/domain"
)

func TestOrderState(t *testing.T) {
	expiredA := domain.OfferExpired{OrderID: orderID, OfferID: offer1, TeamID: "team-a", ExpiredAt: at(20)}
	o := orderAfter(t, placed(), offered(offer1, "team-a", 1, true), expiredA, offered(offer2, "team-b", 2, true))
	off, ok := o.CurrentOffer()
	if o.Status() != domain.StatusOffered || !ok || off.ID != offer2 || off.TeamID != "team-b" || off.Attempt != 2 ||
		!off.ExpiresAt.Equal(at(30)) || !off.Automatic || o.AssignedTeam() != "team-b" || o.AcceptedTeam() != "" {
		t.Errorf("offer state: status %s offer %+v (%v) assigned %q", o.Status(), off, ok, o.AssignedTeam())
	}
	if o.OffersMade() != 2 || o.Expiries() != 1 || o.Declines() != 0 || o.Refusals() != 1 || o.Version() != 4 ||
		!reflect.DeepEqual(o.RefusedTeams(), []string{"team-a"}) {
		t.Errorf("counters: offers %d expiries %d declines %d refused %v version %d",
			o.OffersMade(), o.Expiries(), o.Declines(), o.RefusedTeams(), o.Version())
	}
	if o.ID() != orderID || o.Resident() != "res-li" || o.Category() != domain.CategoryErrand || o.Title() != "送药" ||
		o.Details() == "" || o.Contact() == "" || o.Station() != "zhongguancun-003" || o.Institute() != "zhongguancun" ||
		!o.PlacedAt().Equal(t0) {
		t.Errorf("order facts lost: %+v", o)
	}
	d := o.DispatchOrder()
	if d.Category != domain.CategoryErrand || d.StationID != "zhongguancun-003" || !reflect.DeepEqual(d.Refused, []string{"team-a"}) {
		t.Errorf("DispatchOrder = %+v", d)
	}
	o.RefusedTeams()[0] = "changed"
	if o.RefusedTeams()[0] != "team-a" {
		t.Error("RefusedTeams shares memory with the order")
	}
	w := orderAfter(t, placed(), offered(offer1, "team-a", 1, true),
		domain.OfferWithdrawn{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "dispatcher", WithdrawnAt: at(11)})
	if w.Status() != domain.StatusPlaced || w.Withdrawals() != 1 || w.Refusals() != 0 || len(w.RefusedTeams()) != 0 || w.AssignedTeam() != "" {
		t.Errorf("after a withdrawal: status %s, %d withdrawals, %d refusals, refused %v, assigned %q",
			w.Status(), w.Withdrawals(), w.Refusals(), w.RefusedTeams(), w.AssignedTeam())
	}
	r := orderAfter(t, append(lifecycle(), domain.OrderRated{OrderID: orderID, TeamID: "team-a", Stars: 4, RatedAt: at(90)})...)
	if r.Status() != domain.StatusRated || r.Stars() != 4 || r.AcceptedTeam() != "team-a" || r.AssignedTeam() != "team-a" {
		t.Errorf("rated order: %s stars %d team %q", r.Status(), r.Stars(), r.AcceptedTeam())
	}
	if _, ok := r.CurrentOffer(); ok {
		t.Error("a rated order has a pending offer")
	}
}
