package domain

import (
	"time"

	"github.com/google/uuid"
)

// Order events. Payloads carry what the read models need without joining
// other streams (the order's category, station and institute ride along where
// satisfaction and load figures are counted). Times are UTC.

// OrderPlaced: a resident asked for a service.
type OrderPlaced struct {
	OrderID     uuid.UUID `json:"order_id"`
	Resident    string    `json:"resident"`
	Category    Category  `json:"category"`
	Title       string    `json:"title"`
	Details     string    `json:"details"`
	StationID   string    `json:"station_id"`
	InstituteID string    `json:"institute_id"`
	Contact     string    `json:"contact"`
	PlacedAt    time.Time `json:"placed_at"`
}

// OrderOffered: the order was offered to one team, until ExpiresAt.
type OrderOffered struct {
	OrderID   uuid.UUID `json:"order_id"`
	OfferID   uuid.UUID `json:"offer_id"`
	TeamID    string    `json:"team_id"`
	ExpiresAt time.Time `json:"expires_at"`
	OfferedAt time.Time `json:"offered_at"`
	// Automatic is true when the dispatcher chose the team, false when a
	// coordinator did (By then names the coordinator).
	Automatic bool   `json:"automatic"`
	By        string `json:"by,omitempty"`
	// Attempt counts the offers made for this order, from 1.
	Attempt int `json:"attempt"`
	// Category, StationID and InstituteID are the order's, for the offer boards.
	Category    Category `json:"category"`
	StationID   string   `json:"station_id"`
	InstituteID string   `json:"institute_id"`
	// Decision records why this team: the policy's ranking, or the candidates
	// a coordinator was shown. Absent when nothing was ranked.
	Decision *DispatchDecision `json:"decision,omitempty"`
}

// OfferAccepted: the offered team took the order.
type OfferAccepted struct {
	OrderID    uuid.UUID `json:"order_id"`
	OfferID    uuid.UUID `json:"offer_id"`
	TeamID     string    `json:"team_id"`
	By         string    `json:"by"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// OfferDeclined: the offered team refused; the order is placed again.
type OfferDeclined struct {
	OrderID    uuid.UUID `json:"order_id"`
	OfferID    uuid.UUID `json:"offer_id"`
	TeamID     string    `json:"team_id"`
	By         string    `json:"by"`
	Reason     string    `json:"reason"`
	DeclinedAt time.Time `json:"declined_at"`
}

// OfferExpired: the offered team did not answer in time; the order is placed again.
type OfferExpired struct {
	OrderID   uuid.UUID `json:"order_id"`
	OfferID   uuid.UUID `json:"offer_id"`
	TeamID    string    `json:"team_id"`
	ExpiredAt time.Time `json:"expired_at"`
}

// OfferWithdrawn: a pending offer was taken back (the team was suspended, or a
// coordinator reassigned the order); the order is placed again. It does not
// count against the team.
type OfferWithdrawn struct {
	OrderID     uuid.UUID `json:"order_id"`
	OfferID     uuid.UUID `json:"offer_id"`
	TeamID      string    `json:"team_id"`
	By          string    `json:"by"`
	Reason      string    `json:"reason"`
	WithdrawnAt time.Time `json:"withdrawn_at"`
}

// OrderEscalated: the dispatcher gave up; a coordinator must dispatch by hand.
type OrderEscalated struct {
	OrderID uuid.UUID `json:"order_id"`
	Reason  string    `json:"reason"`
	// Attempts is the number of offers made before escalating.
	Attempts    int       `json:"attempts"`
	EscalatedAt time.Time `json:"escalated_at"`
}

// ServiceStarted: the accepting team began serving.
type ServiceStarted struct {
	OrderID   uuid.UUID `json:"order_id"`
	TeamID    string    `json:"team_id"`
	StartedAt time.Time `json:"started_at"`
}

// OrderCompleted: the accepting team finished the service.
type OrderCompleted struct {
	OrderID        uuid.UUID `json:"order_id"`
	TeamID         string    `json:"team_id"`
	VolunteerHours float64   `json:"volunteer_hours"`
	Notes          string    `json:"notes"`
	Category       Category  `json:"category"`
	StationID      string    `json:"station_id"`
	InstituteID    string    `json:"institute_id"`
	CompletedAt    time.Time `json:"completed_at"`
}

// OrderRated: the resident rated the completed service (schema version 2;
// see upcast.go for version 1).
type OrderRated struct {
	OrderID     uuid.UUID `json:"order_id"`
	TeamID      string    `json:"team_id"`
	Stars       int       `json:"stars"`
	Comment     string    `json:"comment"`
	Category    Category  `json:"category"`
	StationID   string    `json:"station_id"`
	InstituteID string    `json:"institute_id"`
	RatedAt     time.Time `json:"rated_at"`
}

// OrderCancelled: the resident or a coordinator called the order off.
type OrderCancelled struct {
	OrderID uuid.UUID `json:"order_id"`
	By      string    `json:"by"`
	ByRole  Role      `json:"by_role"`
	Reason  string    `json:"reason"`
	// TeamID is the team that held the order (offered or accepted), so team
	// loads drop without a join; empty when none did.
	TeamID      string    `json:"team_id,omitempty"`
	CancelledAt time.Time `json:"cancelled_at"`
}

func (OrderPlaced) EventType() string    { return EventTypeOrderPlaced }
func (OrderOffered) EventType() string   { return EventTypeOrderOffered }
func (OfferAccepted) EventType() string  { return EventTypeOfferAccepted }
func (OfferDeclined) EventType() string  { return EventTypeOfferDeclined }
func (OfferExpired) EventType() string   { return EventTypeOfferExpired }
func (OfferWithdrawn) EventType() string { return EventTypeOfferWithdrawn }
func (OrderEscalated) EventType() string { return EventTypeOrderEscalated }
func (ServiceStarted) EventType() string { return EventTypeServiceStarted }
func (OrderCompleted) EventType() string { return EventTypeOrderCompleted }
func (OrderRated) EventType() string     { return EventTypeOrderRated }
func (OrderCancelled) EventType() string { return EventTypeOrderCancelled }

func (e OrderPlaced) StreamID() string    { return OrderStream(e.OrderID) }
func (e OrderOffered) StreamID() string   { return OrderStream(e.OrderID) }
func (e OfferAccepted) StreamID() string  { return OrderStream(e.OrderID) }
func (e OfferDeclined) StreamID() string  { return OrderStream(e.OrderID) }
func (e OfferExpired) StreamID() string   { return OrderStream(e.OrderID) }
func (e OfferWithdrawn) StreamID() string { return OrderStream(e.OrderID) }
func (e OrderEscalated) StreamID() string { return OrderStream(e.OrderID) }
func (e ServiceStarted) StreamID() string { return OrderStream(e.OrderID) }
func (e OrderCompleted) StreamID() string { return OrderStream(e.OrderID) }
func (e OrderRated) StreamID() string     { return OrderStream(e.OrderID) }
func (e OrderCancelled) StreamID() string { return OrderStream(e.OrderID) }

// OrderEvent is every event of an order's stream; consumers that key rows by
// order read the id here instead of switching over every event type.
type OrderEvent interface {
	Event
	// Order is the id of the order the event belongs to.
	Order() uuid.UUID
}

func (e OrderPlaced) Order() uuid.UUID    { return e.OrderID }
func (e OrderOffered) Order() uuid.UUID   { return e.OrderID }
func (e OfferAccepted) Order() uuid.UUID  { return e.OrderID }
func (e OfferDeclined) Order() uuid.UUID  { return e.OrderID }
func (e OfferExpired) Order() uuid.UUID   { return e.OrderID }
func (e OfferWithdrawn) Order() uuid.UUID { return e.OrderID }
func (e OrderEscalated) Order() uuid.UUID { return e.OrderID }
func (e ServiceStarted) Order() uuid.UUID { return e.OrderID }
func (e OrderCompleted) Order() uuid.UUID { return e.OrderID }
func (e OrderRated) Order() uuid.UUID     { return e.OrderID }
func (e OrderCancelled) Order() uuid.UUID { return e.OrderID }
