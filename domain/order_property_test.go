package domain_test

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"github.com/paidan/paidan/domain"
)

// allowedMoves is the order state machine as DESIGN.md states it, written
// out independently of the implementation.
var allowedMoves = map[domain.OrderStatus][]domain.OrderStatus{
	domain.StatusPlaced:    {domain.StatusOffered, domain.StatusEscalated, domain.StatusCancelled},
	domain.StatusOffered:   {domain.StatusAccepted, domain.StatusPlaced, domain.StatusCancelled},
	domain.StatusEscalated: {domain.StatusOffered, domain.StatusCancelled},
	domain.StatusAccepted:  {domain.StatusInService, domain.StatusCompleted, domain.StatusCancelled},
	domain.StatusInService: {domain.StatusCompleted, domain.StatusCancelled},
	domain.StatusCompleted: {domain.StatusRated},
}

// orderMachine drives random commands from random actors against one order
// and checks the invariants after every step.
type orderMachine struct {
	order   *domain.Order
	history []domain.Event
	now     time.Time
	offers  []uuid.UUID // every offer id made, for answering stale ones
	nextID  int
	// what the history says, tracked by the test itself
	pendingOffers int
	lastOffered   domain.OrderOffered
	completed     bool
	refused       map[string]bool
}

var propActors = []domain.Actor{resident, stranger, coord, admin, auditor, system, teamA, teamB,
	{Subject: "vol-c", Role: domain.RoleTeam, TeamID: "team-c"}}

var propTeams = []string{"team-a", "team-b", "team-c"}

func (m *orderMachine) tick(t *rapid.T) time.Time {
	m.now = m.now.Add(time.Duration(rapid.IntRange(0, 6).Draw(t, "minutes")) * time.Minute)
	return m.now
}

func (m *orderMachine) actor(t *rapid.T) domain.Actor {
	return rapid.SampledFrom(propActors).Draw(t, "actor")
}

// likely is usually the actor entitled to the command, sometimes anyone, so
// that long lifecycles are reached as well as refusals.
func (m *orderMachine) likely(t *rapid.T, entitled domain.Actor) domain.Actor {
	if rapid.IntRange(0, 3).Draw(t, "entitled") > 0 {
		return entitled
	}
	return m.actor(t)
}

func teamActor(team string) domain.Actor {
	return domain.Actor{Subject: "vol-" + team, Role: domain.RoleTeam, TeamID: team}
}

// heldBy is the team of the pending offer, or the accepting team.
func (m *orderMachine) heldBy() domain.Actor { return teamActor(m.order.AssignedTeam()) }

// rarely lets a drastic command (cancel, escalate) through about one time in
// n, so it does not end most runs early. It tests for a middle value because
// rapid favours the ends of a range.
func rarely(t *rapid.T, n int) bool { return rapid.IntRange(1, n).Draw(t, "rarely") == (n+1)/2 }

// offerID picks the current offer, an older one, or none (uuid.Nil).
func (m *orderMachine) offerID(t *rapid.T) uuid.UUID {
	choices := append([]uuid.UUID{uuid.Nil}, m.offers...)
	if off, ok := m.order.CurrentOffer(); ok {
		choices = append(choices, off.ID, off.ID)
	}
	return rapid.SampledFrom(choices).Draw(t, "offer")
}

// decide records the outcome of a command: refused commands return no
// events and an error of exactly one class; accepted ones are applied.
func (m *orderMachine) decide(t *rapid.T, what string, events []domain.Event, err error) {
	if err != nil {
		if len(events) != 0 {
			t.Fatalf("%s was refused (%v) but returned events %v", what, err, events)
		}
		n := 0
		for _, c := range []error{domain.ErrInvalid, domain.ErrForbidden, domain.ErrConflict, domain.ErrNotFound} {
			if errors.Is(err, c) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s: error %q is in %d classes, want exactly 1", what, err, n)
		}
		return
	}
	for _, e := range events {
		before := m.order.Status()
		if err := m.order.Apply(e); err != nil {
			t.Fatalf("%s returned %s, which does not apply: %v", what, e.EventType(), err)
		}
		m.history = append(m.history, e)
		m.check(t, e, before, m.order.Status())
	}
}

// check holds each event against the invariants.
func (m *orderMachine) check(t *rapid.T, e domain.Event, from, to domain.OrderStatus) {
	moved := false
	for _, s := range allowedMoves[from] {
		moved = moved || s == to
	}
	if !moved {
		t.Fatalf("%s moved the order from %s to %s, which the state machine does not allow", e.EventType(), from, to)
	}
	switch e := e.(type) {
	case domain.OrderOffered:
		m.pendingOffers++
		if e.Automatic && m.refused[e.TeamID] {
			t.Fatalf("automatic offer to %s, which declined or let this order expire before", e.TeamID)
		}
		if !e.ExpiresAt.After(e.OfferedAt) {
			t.Fatalf("offer expires at %v, not after it was made at %v", e.ExpiresAt, e.OfferedAt)
		}
		m.lastOffered = e
	case domain.OfferAccepted:
		m.pendingOffers--
		if e.TeamID != m.lastOffered.TeamID || e.OfferID != m.lastOffered.OfferID {
			t.Fatalf("%s accepted offer %s, but the pending offer was %s to %s",
				e.TeamID, e.OfferID, m.lastOffered.OfferID, m.lastOffered.TeamID)
		}
		if !e.AcceptedAt.Before(m.lastOffered.ExpiresAt) {
			t.Fatalf("accepted at %v, after the offer expired at %v", e.AcceptedAt, m.lastOffered.ExpiresAt)
		}
	case domain.OfferDeclined:
		m.pendingOffers--
		m.refused[e.TeamID] = true
	case domain.OfferExpired:
		m.pendingOffers--
		m.refused[e.TeamID] = true
	case domain.OfferWithdrawn:
		m.pendingOffers--
	case domain.OrderCompleted:
		m.completed = true
	case domain.OrderRated:
		if !m.completed {
			t.Fatalf("rated an order that was never completed")
		}
		if e.Stars < 1 || e.Stars > 5 {
			t.Fatalf("rated %d stars", e.Stars)
		}
	case domain.OrderCancelled:
		if m.pendingOffers == 1 {
			m.pendingOffers = 0 // a cancelled order's offer is void
		}
	}
	if m.pendingOffers < 0 || m.pendingOffers > 1 {
		t.Fatalf("%d pending offers after %s; at most one may be pending", m.pendingOffers, e.EventType())
	}
	if _, ok := m.order.CurrentOffer(); ok != (m.order.Status() == domain.StatusOffered) || ok != (m.pendingOffers == 1) {
		t.Fatalf("status %s with current offer %v and %d pending by the history", m.order.Status(), ok, m.pendingOffers)
	}
}

func TestOrderInvariantsUnderRandomCommands(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		first, err := domain.PlaceOrder(domain.DemoDirectory(), resident, domain.NewOrder{ID: orderID,
			Category: domain.CategoryErrand, Title: "送药", StationID: "zhongguancun-003"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		order, err := domain.RehydrateOrder([]domain.Event{first})
		if err != nil {
			t.Fatal(err)
		}
		m := &orderMachine{order: order, history: []domain.Event{first}, now: t0, refused: map[string]bool{}}
		t.Repeat(map[string]func(*rapid.T){
			"offer": func(t *rapid.T) {
				m.nextID++
				id := uuid.NewSHA1(uuid.NameSpaceOID, []byte(strconv.Itoa(m.nextID)))
				m.offers = append(m.offers, id)
				now := m.tick(t)
				req := domain.OfferRequest{OfferID: id, TeamID: rapid.SampledFrom(propTeams).Draw(t, "team"),
					ExpiresAt: now.Add(time.Duration(rapid.IntRange(-1, 30).Draw(t, "ttl")) * time.Minute)}
				ev, err := m.order.Offer(m.likely(t, rapid.SampledFrom([]domain.Actor{system, coord}).Draw(t, "dispatcher")), req, now)
				m.decide(t, "offer", ev, err)
			},
			"accept": func(t *rapid.T) {
				ev, err := m.order.Accept(m.likely(t, m.heldBy()), m.offerID(t), m.tick(t))
				m.decide(t, "accept", ev, err)
			},
			"decline": func(t *rapid.T) {
				if !rarely(t, 3) {
					return
				}
				ev, err := m.order.Decline(m.likely(t, m.heldBy()), m.offerID(t), "busy", m.tick(t))
				m.decide(t, "decline", ev, err)
			},
			"expire": func(t *rapid.T) {
				ev, err := m.order.Expire(m.offerID(t), m.tick(t))
				m.decide(t, "expire", ev, err)
			},
			"withdraw": func(t *rapid.T) {
				if !rarely(t, 5) {
					return
				}
				ev, err := m.order.Withdraw(m.likely(t, system), m.offerID(t), "", m.tick(t))
				m.decide(t, "withdraw", ev, err)
			},
			"escalate": func(t *rapid.T) {
				if !rarely(t, 9) {
					return
				}
				ev, err := m.order.Escalate(m.likely(t, system), "no candidate", m.tick(t))
				m.decide(t, "escalate", ev, err)
			},
			"start": func(t *rapid.T) {
				ev, err := m.order.StartService(m.likely(t, m.heldBy()), m.tick(t))
				m.decide(t, "start", ev, err)
			},
			"complete": func(t *rapid.T) {
				hours := rapid.SampledFrom([]float64{-1, 0, 0.5, 2, 24, 25}).Draw(t, "hours")
				ev, err := m.order.Complete(m.likely(t, m.heldBy()), hours, "", m.tick(t))
				m.decide(t, "complete", ev, err)
			},
			"rate": func(t *rapid.T) {
				ev, err := m.order.Rate(m.likely(t, resident), rapid.IntRange(-1, 7).Draw(t, "stars"), "", m.tick(t))
				m.decide(t, "rate", ev, err)
			},
			"cancel": func(t *rapid.T) {
				if !rarely(t, 25) {
					return
				}
				ev, err := m.order.Cancel(m.likely(t, rapid.SampledFrom([]domain.Actor{resident, coord}).Draw(t, "canceller")), "", m.tick(t))
				m.decide(t, "cancel", ev, err)
			},
			// Runs after every action: the order built step by step equals the
			// order replayed from its history, and every event survives the codec.
			"": func(t *rapid.T) {
				replayed, err := domain.RehydrateOrder(m.history)
				if err != nil {
					t.Fatalf("replaying the history: %v", err)
				}
				if !reflect.DeepEqual(replayed, m.order) {
					t.Fatalf("replayed order differs from the order built step by step")
				}
				last := m.history[len(m.history)-1]
				typ, data, err := domain.MarshalEvent(last)
				if err != nil {
					t.Fatal(err)
				}
				back, err := domain.UnmarshalEvent(typ, data)
				if err != nil || !reflect.DeepEqual(back, last) {
					t.Fatalf("%s does not survive the codec: %v", typ, errors.Join(err, fmt.Errorf("%#v != %#v", back, last)))
				}
				if m.order.Version() != len(m.history) {
					t.Fatalf("version %d after %d events", m.order.Version(), len(m.history))
				}
			},
		})
	})
}
