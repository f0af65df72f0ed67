package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// OrderStatus is where an order stands in its lifecycle.
type OrderStatus string

// Order states. Allowed moves:
//
//	placed → offered | escalated | cancelled
//	offered → accepted | placed (declined, expired, withdrawn) | cancelled
//	escalated → offered | cancelled
//	accepted → in_service | completed | cancelled
//	in_service → completed | cancelled
//	completed → rated
const (
	StatusPlaced    OrderStatus = "placed"
	StatusOffered   OrderStatus = "offered"
	StatusAccepted  OrderStatus = "accepted"
	StatusInService OrderStatus = "in_service"
	StatusCompleted OrderStatus = "completed"
	StatusRated     OrderStatus = "rated"
	StatusCancelled OrderStatus = "cancelled"
	StatusEscalated OrderStatus = "escalated"
)

// Offer is an order's pending offer.
type Offer struct {
	ID        uuid.UUID
	TeamID    string
	ExpiresAt time.Time
	OfferedAt time.Time
	Automatic bool
	Attempt   int
}

// Order is one resident's service order. Its state is unexported and changes
// only by applying its own events; commands are methods that decide which
// events should happen and change nothing.
type Order struct {
	id        uuid.UUID
	status    OrderStatus
	resident  string
	category  Category
	title     string
	details   string
	contact   string
	station   string
	institute string
	placedAt  time.Time

	offer        *Offer
	acceptedTeam string
	offers       int
	declines     int
	expiries     int
	withdrawals  int
	refused      []string
	stars        int

	applied int
}

// RehydrateOrder rebuilds an order from its stream's events, oldest first. It
// is not a constructor and validates no input: it trusts the history (only
// checking that it is coherent, else ErrCorruptHistory). Orders come into
// being with PlaceOrder.
func RehydrateOrder(events []Event) (*Order, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: expected the events of an order, found none", ErrOrderNotFound)
	}
	o := &Order{}
	for _, e := range events {
		if err := o.Apply(e); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Apply moves the order by one event of its history. It is how the command
// layer replays a stream event by event (start from new(Order)) and how
// RehydrateOrder works; it is not for deciding anything. An event that cannot
// follow the current state returns ErrCorruptHistory and leaves the order
// unchanged.
func (o *Order) Apply(e Event) error {
	if o.applied == 0 {
		p, ok := e.(OrderPlaced)
		if !ok {
			return fmt.Errorf("%w: an order's first event must be %s, found %s",
				ErrCorruptHistory, EventTypeOrderPlaced, typeOf(e))
		}
		*o = Order{
			id: p.OrderID, status: StatusPlaced, resident: p.Resident, category: p.Category,
			title: p.Title, details: p.Details, contact: p.Contact,
			station: p.StationID, institute: p.InstituteID, placedAt: p.PlacedAt, applied: 1,
		}
		return nil
	}
	if e.StreamID() != OrderStream(o.id) {
		return fmt.Errorf("%w: event %s of stream %s applied to %s",
			ErrCorruptHistory, typeOf(e), e.StreamID(), OrderStream(o.id))
	}
	bad := func(from ...OrderStatus) error {
		if slices.Contains(from, o.status) {
			return nil
		}
		return fmt.Errorf("%w: %s cannot follow status %s of order %s",
			ErrCorruptHistory, typeOf(e), o.status, o.id)
	}
	switch e := e.(type) {
	case OrderOffered:
		if err := bad(StatusPlaced, StatusEscalated); err != nil {
			return err
		}
		o.status = StatusOffered
		o.offers++
		o.offer = &Offer{ID: e.OfferID, TeamID: e.TeamID, ExpiresAt: e.ExpiresAt,
			OfferedAt: e.OfferedAt, Automatic: e.Automatic, Attempt: e.Attempt}
	case OfferAccepted:
		if err := o.pendingOffer(e, e.OfferID); err != nil {
			return err
		}
		o.status = StatusAccepted
		o.acceptedTeam = o.offer.TeamID
		o.offer = nil
	case OfferDeclined:
		if err := o.pendingOffer(e, e.OfferID); err != nil {
			return err
		}
		o.declines++
		o.refuse(o.offer.TeamID)
	case OfferExpired:
		if err := o.pendingOffer(e, e.OfferID); err != nil {
			return err
		}
		o.expiries++
		o.refuse(o.offer.TeamID)
	case OfferWithdrawn:
		if err := o.pendingOffer(e, e.OfferID); err != nil {
			return err
		}
		o.withdrawals++
		o.status, o.offer = StatusPlaced, nil
	case OrderEscalated:
		if err := bad(StatusPlaced); err != nil {
			return err
		}
		o.status = StatusEscalated
	case ServiceStarted:
		if err := bad(StatusAccepted); err != nil {
			return err
		}
		o.status = StatusInService
	case OrderCompleted:
		if err := bad(StatusAccepted, StatusInService); err != nil {
			return err
		}
		o.status = StatusCompleted
	case OrderRated:
		if err := bad(StatusCompleted); err != nil {
			return err
		}
		o.status = StatusRated
		o.stars = e.Stars
	case OrderCancelled:
		if err := bad(StatusPlaced, StatusOffered, StatusAccepted, StatusInService, StatusEscalated); err != nil {
			return err
		}
		o.status = StatusCancelled
		o.offer = nil
	default:
		return fmt.Errorf("%w: %s is not an order event", ErrCorruptHistory, typeOf(e))
	}
	o.applied++
	return nil
}

// pendingOffer checks that e answers the current offer.
func (o *Order) pendingOffer(e Event, offerID uuid.UUID) error {
	if o.status != StatusOffered || o.offer == nil || o.offer.ID != offerID {
		return fmt.Errorf("%w: %s of offer %s cannot follow status %s of order %s",
			ErrCorruptHistory, typeOf(e), offerID, o.status, o.id)
	}
	return nil
}

// refuse records that the pending offer's team turned the order down and
// returns the order to placed.
func (o *Order) refuse(team string) {
	if !slices.Contains(o.refused, team) {
		o.refused = append(o.refused, team)
	}
	o.status, o.offer = StatusPlaced, nil
}

func typeOf(e Event) string {
	if e == nil {
		return "<nil>"
	}
	return e.EventType()
}

// ID is the order's id.
func (o *Order) ID() uuid.UUID { return o.id }

// Status is the order's current status.
func (o *Order) Status() OrderStatus { return o.status }

// Resident is the subject of the resident who placed the order.
func (o *Order) Resident() string { return o.resident }

// Category is the service asked for.
func (o *Order) Category() Category { return o.category }

// Title, Details and Contact are the resident's text.
func (o *Order) Title() string   { return o.title }
func (o *Order) Details() string { return o.details }
func (o *Order) Contact() string { return o.contact }

// Station and Institute locate the order.
func (o *Order) Station() string   { return o.station }
func (o *Order) Institute() string { return o.institute }

// PlacedAt is when the order was placed.
func (o *Order) PlacedAt() time.Time { return o.placedAt }

// CurrentOffer is the pending offer, if the order is offered.
func (o *Order) CurrentOffer() (Offer, bool) {
	if o.offer == nil {
		return Offer{}, false
	}
	return *o.offer, true
}

// AcceptedTeam is the team that accepted the order, or "".
func (o *Order) AcceptedTeam() string { return o.acceptedTeam }

// AssignedTeam is the team that holds or held the order: the pending offer's
// team, else the accepting team, else "".
func (o *Order) AssignedTeam() string {
	if o.offer != nil {
		return o.offer.TeamID
	}
	return o.acceptedTeam
}

// OffersMade counts every offer of this order, including withdrawn ones.
func (o *Order) OffersMade() int { return o.offers }

// Declines, Expiries and Withdrawals count how the offers that were not
// accepted ended.
func (o *Order) Declines() int    { return o.declines }
func (o *Order) Expiries() int    { return o.expiries }
func (o *Order) Withdrawals() int { return o.withdrawals }

// Refusals counts the offers declined or left to expire: what the dispatcher
// compares with PAIDAN_MAX_OFFERS.
func (o *Order) Refusals() int { return o.declines + o.expiries }

// RefusedTeams lists, in order, the teams that declined the order or let an
// offer of it expire; the dispatcher never offers it to them again.
func (o *Order) RefusedTeams() []string { return slices.Clone(o.refused) }

// Stars is the rating, 0 until rated.
func (o *Order) Stars() int { return o.stars }

// Version is the number of events applied: the stream's next revision, for
// the optimistic-concurrency check of the next append.
func (o *Order) Version() int { return o.applied }

// DispatchOrder is the order as the dispatch policy sees it.
func (o *Order) DispatchOrder() DispatchOrder {
	return DispatchOrder{Category: o.category, StationID: o.station, InstituteID: o.institute,
		Refused: o.RefusedTeams()}
}
