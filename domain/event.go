package domain

// Event is a fact that happened to an order or a team. Events are values
// (OrderPlaced, not *OrderPlaced): UnmarshalEvent returns values and the
// aggregates' Apply switches on them.
type Event interface {
	// EventType is the event's stored type name, one of the EventType…
	// constants; it never changes once released.
	EventType() string
	// StreamID is the stream the event belongs to: OrderStream(order id) or
	// TeamStream(team id).
	StreamID() string
}

// Stored type names. These strings are in the event store for good: never
// change one; a changed payload gets a new schema version and an upcaster
// instead (see codec.go).
const (
	EventTypeOrderPlaced    = "OrderPlaced"
	EventTypeOrderOffered   = "OrderOffered"
	EventTypeOfferAccepted  = "OfferAccepted"
	EventTypeOfferDeclined  = "OfferDeclined"
	EventTypeOfferExpired   = "OfferExpired"
	EventTypeOfferWithdrawn = "OfferWithdrawn"
	EventTypeOrderEscalated = "OrderEscalated"
	EventTypeServiceStarted = "ServiceStarted"
	EventTypeOrderCompleted = "OrderCompleted"
	EventTypeOrderRated     = "OrderRated"
	EventTypeOrderCancelled = "OrderCancelled"
	EventTypeTeamRegistered = "TeamRegistered"
	EventTypeTeamUpdated    = "TeamUpdated"
	EventTypeTeamSuspended  = "TeamSuspended"
	EventTypeTeamResumed    = "TeamResumed"
)

// Every event type is an Event as a value.
var (
	_ Event = OrderPlaced{}
	_ Event = OrderOffered{}
	_ Event = OfferAccepted{}
	_ Event = OfferDeclined{}
	_ Event = OfferExpired{}
	_ Event = OfferWithdrawn{}
	_ Event = OrderEscalated{}
	_ Event = ServiceStarted{}
	_ Event = OrderCompleted{}
	_ Event = OrderRated{}
	_ Event = OrderCancelled{}
	_ Event = TeamRegistered{}
	_ Event = TeamUpdated{}
	_ Event = TeamSuspended{}
	_ Event = TeamResumed{}
)
