package domain_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// orderCase reads: given these events, when this command, then these events
// or this error.
type orderCase struct {
	name  string
	given []domain.Event
	when  func(o *domain.Order) ([]domain.Event, error)
	then  []domain.Event
	err   error
	// field is the *ValidationError field expected with err == ErrInvalid.
	field string
}

func runOrderCases(t *testing.T, cases []orderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := orderAfter(t, tc.given...)
			before := orderAfter(t, tc.given...)
			got, err := tc.when(o)
			if !reflect.DeepEqual(o, before) {
				t.Errorf("the command changed the order: it must only decide")
			}
			checkErr(t, err, tc.err, tc.field)
			if tc.err != nil && len(got) != 0 {
				t.Errorf("a refused command returned events: %#v", got)
			}
			eventsEqual(t, got, tc.then)
			// Whatever a command returns must apply to the order it was decided on.
			for _, e := range got {
				if err := o.Apply(e); err != nil {
					t.Errorf("applying the command's own event %s: %v", e.EventType(), err)
				}
			}
		})
	}
}

func checkErr(t *testing.T, err, want error, field string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("expected no error, found %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("expected an error matching %q, found %v", want, err)
	}
	classes := 0
	for _, c := range []error{domain.ErrInvalid, domain.ErrForbidden, domain.ErrConflict, domain.ErrNotFound} {
		if errors.Is(err, c) {
			classes++
		}
	}
	if classes != 1 {
		t.Errorf("error %q belongs to %d classes; every domain error belongs to exactly one", err, classes)
	}
	if field != "" {
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Field != field {
			t.Errorf("expected a *ValidationError for field %q, found %#v", field, err)
		}
	}
}

func TestPlaceOrder(t *testing.T) {
	dir := domain.DemoDirectory()
	shanghai := t0.In(mustZone(t))
	valid := domain.NewOrder{ID: orderID, Category: domain.CategoryErrand, Title: "送药",
		Details: "降压药两盒，楼下药店", StationID: "zhongguancun-003", Contact: "138-0000-0000"}
	with := func(f func(*domain.NewOrder)) domain.NewOrder { n := valid; f(&n); return n }
	cases := []struct {
		name  string
		dir   *domain.Directory
		by    domain.Actor
		in    domain.NewOrder
		want  domain.OrderPlaced
		err   error
		field string
	}{
		{name: "resident places; institute from the directory; time in UTC", dir: dir, by: resident, in: valid, want: placed()},
		{name: "title of exactly 100 characters", dir: dir, by: resident,
			in:   with(func(n *domain.NewOrder) { n.Title = strings.Repeat("药", 100) }),
			want: func() domain.OrderPlaced { p := placed(); p.Title = strings.Repeat("药", 100); return p }()},
		{name: "coordinator may not place", dir: dir, by: coord, in: valid, err: domain.ErrRoleNotAllowed},
		{name: "team may not place", dir: dir, by: teamA, in: valid, err: domain.ErrForbidden},
		{name: "nil order id", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.ID = uuid.Nil }), err: domain.ErrInvalid, field: "order_id"},
		{name: "unknown category", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Category = "plumbing" }), err: domain.ErrInvalid, field: "category"},
		{name: "empty title", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Title = "" }), err: domain.ErrInvalid, field: "title"},
		{name: "blank title", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Title = " \t　" }), err: domain.ErrInvalid, field: "title"},
		{name: "title of 101 characters", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Title = strings.Repeat("药", 101) }), err: domain.ErrInvalid, field: "title"},
		{name: "title not UTF-8", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Title = "\xff" }), err: domain.ErrInvalid, field: "title"},
		{name: "details of 2001 characters", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Details = strings.Repeat("x", 2001) }), err: domain.ErrInvalid, field: "details"},
		{name: "contact of 101 characters", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.Contact = strings.Repeat("1", 101) }), err: domain.ErrInvalid, field: "contact"},
		{name: "unknown station", dir: dir, by: resident, in: with(func(n *domain.NewOrder) { n.StationID = "zhongguancun-999" }), err: domain.ErrInvalid, field: "station_id"},
		{name: "no directory", dir: nil, by: resident, in: valid, err: domain.ErrInvalid, field: "station_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := domain.PlaceOrder(tc.dir, tc.by, tc.in, shanghai)
			checkErr(t, err, tc.err, tc.field)
			if tc.err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
			if tc.err == nil && got.PlacedAt.Location() != time.UTC {
				t.Errorf("placed_at in %v, expected UTC", got.PlacedAt.Location())
			}
		})
	}
}

func TestOrderOffer(t *testing.T) {
	req := func(offer uuid.UUID, team string, minutes int) domain.OfferRequest {
		return domain.OfferRequest{OfferID: offer, TeamID: team, ExpiresAt: at(minutes)}
	}
	decision := &domain.DispatchDecision{PolicyVersion: domain.PolicyVersion, Chosen: "team-a",
		Candidates: []domain.Candidate{{TeamID: "team-a", Tier: domain.TierStation, Capacity: 3, GoodRate: 0.9, Score: 2000899.1}}}
	declinedA := domain.OfferDeclined{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "vol-a", Reason: "忙", DeclinedAt: at(15)}
	escalated := domain.OrderEscalated{OrderID: orderID, Reason: "no candidate", Attempts: 0, EscalatedAt: at(5)}
	reassigned := offered(offer2, "team-b", 2, false)
	reassigned.OfferedAt, reassigned.ExpiresAt = at(15), at(30)
	runOrderCases(t, []orderCase{
		{name: "dispatcher offers a placed order with its decision", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				r := req(offer1, "team-a", 20)
				r.Decision = decision
				return o.Offer(system, r, at(10))
			},
			then: []domain.Event{func() domain.OrderOffered { e := offered(offer1, "team-a", 1, true); e.Decision = decision; return e }()}},
		{name: "coordinator dispatches a placed order", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer1, "team-a", 20), at(10))
			},
			then: []domain.Event{offered(offer1, "team-a", 1, false)}},
		{name: "coordinator dispatches an escalated order", given: []domain.Event{placed(), escalated},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer1, "team-a", 20), at(10))
			},
			then: []domain.Event{offered(offer1, "team-a", 1, false)}},
		{name: "dispatcher may not offer an escalated order", given: []domain.Event{placed(), escalated},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(system, req(offer1, "team-a", 20), at(10))
			},
			err: domain.ErrEscalated},
		{name: "dispatcher may not offer twice", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true)},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(system, req(offer2, "team-b", 20), at(11))
			},
			err: domain.ErrAlreadyOffered},
		{name: "coordinator reassigns: withdraw then offer", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true)},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer2, "team-b", 30), at(15))
			},
			then: []domain.Event{
				domain.OfferWithdrawn{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: coord.Subject,
					Reason: "reassigned by a coordinator to team team-b", WithdrawnAt: at(15)},
				reassigned}},
		{name: "coordinator dispatches to the team already offered it: nothing to do", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true)},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer2, "team-a", 30), at(15))
			},
			then: nil},
		{name: "dispatcher never re-offers to a team that declined", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true), declinedA},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(system, req(offer2, "team-a", 30), at(20))
			},
			err: domain.ErrTeamRefused},
		{name: "coordinator may re-offer to a team that declined", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true), declinedA},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer2, "team-a", 30), at(20))
			},
			then: []domain.Event{offered(offer2, "team-a", 2, false)}},
		{name: "resident may not dispatch", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(resident, req(offer1, "team-a", 20), at(10))
			},
			err: domain.ErrForbidden},
		{name: "team may not dispatch", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(teamA, req(offer1, "team-a", 20), at(10))
			},
			err: domain.ErrRoleNotAllowed},
		{name: "expiry not after now", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(system, req(offer1, "team-a", 10), at(10))
			},
			err: domain.ErrInvalid, field: "expires_at"},
		{name: "nil offer id", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(system, req(uuid.Nil, "team-a", 20), at(10))
			},
			err: domain.ErrInvalid, field: "offer_id"},
		{name: "empty team id", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Offer(coord, req(offer1, "", 20), at(10)) },
			err:  domain.ErrInvalid, field: "team_id"},
		{name: "accepted order", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true), accepted(offer1, "team-a", "vol-a")},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer2, "team-b", 30), at(15))
			},
			err: domain.ErrAlreadyAccepted},
		{name: "completed order", given: lifecycle(),
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer2, "team-b", 90), at(70))
			},
			err: domain.ErrOrderClosed},
		{name: "cancelled order", given: []domain.Event{placed(), cancelledBy(resident, "")},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Offer(coord, req(offer2, "team-b", 90), at(70))
			},
			err: domain.ErrAlreadyCancelled},
	})
}

func cancelledBy(a domain.Actor, team string) domain.OrderCancelled {
	return domain.OrderCancelled{OrderID: orderID, By: a.Subject, ByRole: a.Role, Reason: "不需要了", TeamID: team, CancelledAt: at(30)}
}

func TestOrderAnswerOffer(t *testing.T) {
	offeredA := []domain.Event{placed(), offered(offer1, "team-a", 1, true)} // expires at(20)
	reoffered := append(append([]domain.Event(nil), offeredA...),
		domain.OfferWithdrawn{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "dispatcher", Reason: "suspended", WithdrawnAt: at(11)},
		offered(offer2, "team-a", 2, true)) // expires at(30)
	acceptedA := append(append([]domain.Event(nil), offeredA...), accepted(offer1, "team-a", "vol-a"))
	runOrderCases(t, []orderCase{
		{name: "offered team accepts the current offer", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, uuid.Nil, at(12)) },
			then: []domain.Event{accepted(offer1, "team-a", "vol-a")}},
		{name: "offered team accepts naming the offer", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, offer1, at(12)) },
			then: []domain.Event{accepted(offer1, "team-a", "vol-a")}},
		{name: "accepting a superseded offer", given: reoffered,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, offer1, at(22)) },
			err:  domain.ErrOfferNotCurrent},
		{name: "another team accepts", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamB, uuid.Nil, at(12)) },
			err:  domain.ErrNotYourOffer},
		{name: "a coordinator accepts", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(coord, uuid.Nil, at(12)) },
			err:  domain.ErrForbidden},
		{name: "accepting at the expiry instant", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, uuid.Nil, at(20)) },
			err:  domain.ErrOfferExpired},
		{name: "accepting a placed order", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, uuid.Nil, at(12)) },
			err:  domain.ErrNotOffered},
		{name: "accepting twice", given: acceptedA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, uuid.Nil, at(13)) },
			err:  domain.ErrAlreadyAccepted},
		{name: "accepting a cancelled order", given: append(append([]domain.Event(nil), offeredA...), cancelledBy(resident, "team-a")),
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Accept(teamA, uuid.Nil, at(13)) },
			err:  domain.ErrAlreadyCancelled},
		{name: "team declines with a reason", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Decline(teamA, uuid.Nil, "人手不足", at(15))
			},
			then: []domain.Event{domain.OfferDeclined{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "vol-a", Reason: "人手不足", DeclinedAt: at(15)}}},
		{name: "team declines after the expiry time but before expiry is recorded", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Decline(teamA, offer1, "", at(25)) },
			then: []domain.Event{domain.OfferDeclined{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "vol-a", DeclinedAt: at(25)}}},
		{name: "another team declines", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Decline(teamB, uuid.Nil, "", at(15)) },
			err:  domain.ErrNotYourOffer},
		{name: "declining a placed order", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Decline(teamA, uuid.Nil, "", at(15)) },
			err:  domain.ErrNotOffered},
		{name: "declining with a reason of 501 characters", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Decline(teamA, uuid.Nil, strings.Repeat("忙", 501), at(15))
			},
			err: domain.ErrInvalid, field: "reason"},
		{name: "a due offer expires", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Expire(offer1, at(20)) },
			then: []domain.Event{domain.OfferExpired{OrderID: orderID, OfferID: offer1, TeamID: "team-a", ExpiredAt: at(20)}}},
		{name: "an offer before its time does not expire", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Expire(offer1, at(19)) },
			err:  domain.ErrOfferNotDue},
		{name: "expiring an accepted offer is a no-op", given: acceptedA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Expire(offer1, at(20)) }},
		{name: "expiring a superseded offer is a no-op", given: reoffered,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Expire(offer1, at(40)) }},
		{name: "expiring on a cancelled order is a no-op", given: append(append([]domain.Event(nil), offeredA...), cancelledBy(coord, "team-a")),
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Expire(offer1, at(40)) }},
		{name: "dispatcher withdraws a pending offer", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Withdraw(system, offer1, "team suspended", at(11))
			},
			then: []domain.Event{domain.OfferWithdrawn{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "dispatcher", Reason: "team suspended", WithdrawnAt: at(11)}}},
		{name: "coordinator withdraws the current offer without naming it", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Withdraw(coord, uuid.Nil, "", at(11)) },
			then: []domain.Event{domain.OfferWithdrawn{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: coord.Subject, WithdrawnAt: at(11)}}},
		{name: "withdrawing a superseded offer is a no-op", given: reoffered,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Withdraw(system, offer1, "", at(21)) }},
		{name: "withdrawing an accepted offer is a no-op", given: acceptedA,
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Withdraw(system, offer1, "team suspended", at(13))
			}},
		{name: "a team may not withdraw", given: offeredA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Withdraw(teamA, offer1, "", at(11)) },
			err:  domain.ErrForbidden},
	})
}

func TestOrderEscalate(t *testing.T) {
	decl := func(offer uuid.UUID, team string, m int) domain.OfferDeclined {
		return domain.OfferDeclined{OrderID: orderID, OfferID: offer, TeamID: team, By: "v", DeclinedAt: at(m)}
	}
	twice := []domain.Event{placed(), offered(offer1, "team-a", 1, true), decl(offer1, "team-a", 12),
		offered(offer2, "team-b", 2, true), decl(offer2, "team-b", 22)}
	runOrderCases(t, []orderCase{
		{name: "dispatcher escalates a placed order after two declines", given: twice,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(system, "2 offers refused", at(23)) },
			then: []domain.Event{domain.OrderEscalated{OrderID: orderID, Reason: "2 offers refused", Attempts: 2, EscalatedAt: at(23)}}},
		{name: "coordinator escalates a placed order", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(coord, "needs a call", at(1)) },
			then: []domain.Event{domain.OrderEscalated{OrderID: orderID, Reason: "needs a call", EscalatedAt: at(1)}}},
		{name: "escalating twice", given: []domain.Event{placed(), domain.OrderEscalated{OrderID: orderID, Reason: "x", EscalatedAt: at(1)}},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(system, "again", at(2)) },
			err:  domain.ErrAlreadyEscalated},
		{name: "escalating with an offer pending", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true)},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(system, "x", at(12)) },
			err:  domain.ErrNotEscalatable},
		{name: "escalating an accepted order", given: []domain.Event{placed(), offered(offer1, "team-a", 1, true), accepted(offer1, "team-a", "vol-a")},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(system, "x", at(13)) },
			err:  domain.ErrNotEscalatable},
		{name: "escalating a cancelled order", given: []domain.Event{placed(), cancelledBy(resident, "")},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(system, "x", at(31)) },
			err:  domain.ErrAlreadyCancelled},
		{name: "a resident may not escalate", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(resident, "hurry", at(1)) },
			err:  domain.ErrForbidden},
		{name: "escalating without a reason", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Escalate(system, "", at(1)) },
			err:  domain.ErrInvalid, field: "reason"},
	})
}

func TestOrderService(t *testing.T) {
	acceptedA := []domain.Event{placed(), offered(offer1, "team-a", 1, true), accepted(offer1, "team-a", "vol-a")}
	started := append(append([]domain.Event(nil), acceptedA...), domain.ServiceStarted{OrderID: orderID, TeamID: "team-a", StartedAt: at(30)})
	complete := func(hours float64, notes string) func(o *domain.Order) ([]domain.Event, error) {
		return func(o *domain.Order) ([]domain.Event, error) { return o.Complete(teamA, hours, notes, at(60)) }
	}
	runOrderCases(t, []orderCase{
		{name: "accepting team starts", given: acceptedA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.StartService(teamA, at(30)) },
			then: []domain.Event{domain.ServiceStarted{OrderID: orderID, TeamID: "team-a", StartedAt: at(30)}}},
		{name: "starting twice", given: started,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.StartService(teamA, at(31)) },
			err:  domain.ErrAlreadyStarted},
		{name: "another team starts", given: acceptedA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.StartService(teamB, at(30)) },
			err:  domain.ErrNotAssignedTeam},
		{name: "starting an offered order", given: acceptedA[:2],
			when: func(o *domain.Order) ([]domain.Event, error) { return o.StartService(teamA, at(30)) },
			err:  domain.ErrNotAccepted},
		{name: "accepting team completes without starting", given: acceptedA, when: complete(1.5, "已送达"),
			then: []domain.Event{completed()}},
		{name: "accepting team completes after starting", given: started, when: complete(1.5, "已送达"),
			then: []domain.Event{completed()}},
		{name: "24 hours is the most", given: acceptedA, when: complete(24, "已送达"),
			then: []domain.Event{func() domain.OrderCompleted { c := completed(); c.VolunteerHours = 24; return c }()}},
		{name: "zero hours", given: acceptedA, when: complete(0, ""), err: domain.ErrInvalid, field: "volunteer_hours"},
		{name: "negative hours", given: acceptedA, when: complete(-1, ""), err: domain.ErrInvalid, field: "volunteer_hours"},
		{name: "over 24 hours", given: acceptedA, when: complete(24.5, ""), err: domain.ErrInvalid, field: "volunteer_hours"},
		{name: "hours not a number", given: acceptedA, when: complete(math.NaN(), ""), err: domain.ErrInvalid, field: "volunteer_hours"},
		{name: "notes of 2001 characters", given: acceptedA, when: complete(1, strings.Repeat("a", 2001)), err: domain.ErrInvalid, field: "notes"},
		{name: "another team completes", given: acceptedA,
			when: func(o *domain.Order) ([]domain.Event, error) { return o.Complete(teamB, 1, "", at(60)) },
			err:  domain.ErrNotAssignedTeam},
		{name: "completing a placed order", given: []domain.Event{placed()}, when: complete(1, ""), err: domain.ErrNotAccepted},
		{name: "completing twice", given: lifecycle(), when: complete(1, ""), err: domain.ErrOrderClosed},
		{name: "completing a cancelled order", given: append(append([]domain.Event(nil), acceptedA...), cancelledBy(coord, "team-a")),
			when: complete(1, ""), err: domain.ErrAlreadyCancelled},
	})
}

func TestOrderRate(t *testing.T) {
	rated := func(stars int, comment string) domain.OrderRated {
		return domain.OrderRated{OrderID: orderID, TeamID: "team-a", Stars: stars, Comment: comment,
			Category: domain.CategoryErrand, StationID: "zhongguancun-003", InstituteID: "zhongguancun", RatedAt: at(90)}
	}
	rate := func(by domain.Actor, stars int, comment string) func(o *domain.Order) ([]domain.Event, error) {
		return func(o *domain.Order) ([]domain.Event, error) { return o.Rate(by, stars, comment, at(90)) }
	}
	runOrderCases(t, []orderCase{
		{name: "resident rates five stars", given: lifecycle(), when: rate(resident, 5, "很及时"), then: []domain.Event{rated(5, "很及时")}},
		{name: "resident rates one star", given: lifecycle(), when: rate(resident, 1, ""), then: []domain.Event{rated(1, "")}},
		{name: "zero stars", given: lifecycle(), when: rate(resident, 0, ""), err: domain.ErrInvalid, field: "stars"},
		{name: "six stars", given: lifecycle(), when: rate(resident, 6, ""), err: domain.ErrInvalid, field: "stars"},
		{name: "comment of 1001 characters", given: lifecycle(), when: rate(resident, 5, strings.Repeat("好", 1001)), err: domain.ErrInvalid, field: "comment"},
		{name: "another resident rates", given: lifecycle(), when: rate(stranger, 5, ""), err: domain.ErrNotYourOrder},
		{name: "a coordinator rates", given: lifecycle(), when: rate(coord, 5, ""), err: domain.ErrForbidden},
		{name: "rating twice", given: append(lifecycle(), rated(4, "")), when: rate(resident, 5, ""), err: domain.ErrAlreadyRated},
		{name: "rating before completion", given: lifecycle()[:3], when: rate(resident, 5, ""), err: domain.ErrNotCompleted},
		{name: "rating a cancelled order", given: []domain.Event{placed(), cancelledBy(resident, "")}, when: rate(resident, 5, ""), err: domain.ErrAlreadyCancelled},
	})
}

func TestOrderCancel(t *testing.T) {
	offeredA := []domain.Event{placed(), offered(offer1, "team-a", 1, true)}
	acceptedA := append(append([]domain.Event(nil), offeredA...), accepted(offer1, "team-a", "vol-a"))
	cancel := func(by domain.Actor) func(o *domain.Order) ([]domain.Event, error) {
		return func(o *domain.Order) ([]domain.Event, error) { return o.Cancel(by, "不需要了", at(30)) }
	}
	runOrderCases(t, []orderCase{
		{name: "resident cancels a placed order", given: []domain.Event{placed()}, when: cancel(resident), then: []domain.Event{cancelledBy(resident, "")}},
		{name: "coordinator cancels an offered order; the team is named", given: offeredA, when: cancel(coord), then: []domain.Event{cancelledBy(coord, "team-a")}},
		{name: "admin cancels an accepted order", given: acceptedA, when: cancel(admin), then: []domain.Event{cancelledBy(admin, "team-a")}},
		{name: "resident cancels during service",
			given: append(append([]domain.Event(nil), acceptedA...), domain.ServiceStarted{OrderID: orderID, TeamID: "team-a", StartedAt: at(20)}),
			when:  cancel(resident), then: []domain.Event{cancelledBy(resident, "team-a")}},
		{name: "resident cancels an escalated order",
			given: []domain.Event{placed(), domain.OrderEscalated{OrderID: orderID, Reason: "x", EscalatedAt: at(1)}},
			when:  cancel(resident), then: []domain.Event{cancelledBy(resident, "")}},
		{name: "another resident cancels", given: []domain.Event{placed()}, when: cancel(stranger), err: domain.ErrNotYourOrder},
		{name: "the team cancels", given: acceptedA, when: cancel(teamA), err: domain.ErrForbidden},
		{name: "an auditor cancels", given: []domain.Event{placed()}, when: cancel(auditor), err: domain.ErrRoleNotAllowed},
		{name: "cancelling a completed order", given: lifecycle(), when: cancel(resident), err: domain.ErrOrderClosed},
		{name: "cancelling twice", given: []domain.Event{placed(), cancelledBy(resident, "")}, when: cancel(coord), err: domain.ErrAlreadyCancelled},
		{name: "reason of 501 characters", given: []domain.Event{placed()},
			when: func(o *domain.Order) ([]domain.Event, error) {
				return o.Cancel(resident, strings.Repeat("x", 501), at(30))
			},
			err: domain.ErrInvalid, field: "reason"},
	})
}

func TestOrderCommandsNeedAPlacedOrder(t *testing.T) {
	o := new(domain.Order)
	calls := map[string]func() ([]domain.Event, error){
		"offer":    func() ([]domain.Event, error) { return o.Offer(system, domain.OfferRequest{}, t0) },
		"accept":   func() ([]domain.Event, error) { return o.Accept(teamA, uuid.Nil, t0) },
		"decline":  func() ([]domain.Event, error) { return o.Decline(teamA, uuid.Nil, "", t0) },
		"expire":   func() ([]domain.Event, error) { return o.Expire(offer1, t0) },
		"withdraw": func() ([]domain.Event, error) { return o.Withdraw(system, offer1, "", t0) },
		"escalate": func() ([]domain.Event, error) { return o.Escalate(system, "x", t0) },
		"start":    func() ([]domain.Event, error) { return o.StartService(teamA, t0) },
		"complete": func() ([]domain.Event, error) { return o.Complete(teamA, 1, "", t0) },
		"rate":     func() ([]domain.Event, error) { return o.Rate(resident, 5, "", t0) },
		"cancel":   func() ([]domain.Event, error) { return o.Cancel(resident, "", t0) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			_, err := call()
			checkErr(t, err, domain.ErrOrderNotFound, "")
		})
	}
}

// TestOrderCommandsCheckValuesBeforeState: values no state could accept are
// refused as invalid even when the order is not ready for the command, so
// the caller is not told to wait and retry them.
func TestOrderCommandsCheckValuesBeforeState(t *testing.T) {
	rated := append(lifecycle(), domain.OrderRated{OrderID: orderID, TeamID: "team-a", Stars: 5, RatedAt: at(70)})
	long := strings.Repeat("长", domain.MaxReasonRunes+1)
	cases := []struct {
		name    string
		history []domain.Event
		run     func(o *domain.Order) error
		field   string
	}{
		{"rate a rated order with 9 stars", rated, func(o *domain.Order) error {
			_, err := o.Rate(resident, 9, "", at(80))
			return err
		}, "stars"},
		{"rate an open order with 0 stars", []domain.Event{placed()}, func(o *domain.Order) error {
			_, err := o.Rate(resident, 0, "", at(80))
			return err
		}, "stars"},
		{"complete a placed order with 0 hours", []domain.Event{placed()}, func(o *domain.Order) error {
			_, err := o.Complete(teamA, 0, "", at(80))
			return err
		}, "volunteer_hours"},
		{"cancel a completed order with an over-long reason", lifecycle(), func(o *domain.Order) error {
			_, err := o.Cancel(resident, long, at(80))
			return err
		}, "reason"},
		{"decline an accepted offer with an over-long reason", lifecycle()[:3], func(o *domain.Order) error {
			_, err := o.Decline(teamA, offer1, long, at(80))
			return err
		}, "reason"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run(orderAfter(t, c.history...))
			var invalid *domain.ValidationError
			if !errors.As(err, &invalid) || invalid.Field != c.field || errors.Is(err, domain.ErrConflict) {
				t.Fatalf("got %v; want a validation error on %s, not a conflict", err, c.field)
			}
		})
	}
}
