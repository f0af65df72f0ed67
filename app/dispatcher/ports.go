package dispatcher

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/eventstore"
)

// Commander is the write side the dispatcher acts through: the same
// commands coordinators use, so every rule of the domain holds for automatic
// decisions too. *app.Commands implements it.
type Commander interface {
	DispatchOrder(ctx context.Context, cmd app.DispatchOrder) (app.DispatchResult, error)
	EscalateOrder(ctx context.Context, cmd app.EscalateOrder) (app.OrderResult, error)
	ExpireOffer(ctx context.Context, cmd app.ExpireOffer) (app.OrderResult, error)
	WithdrawOffer(ctx context.Context, cmd app.WithdrawOffer) (app.OrderResult, error)
}

var _ Commander = (*app.Commands)(nil)

// StreamViewer lends the dispatcher the write side's cache of streams, so
// handling a trigger need not read the order's stream from the store when
// the commands just wrote it. Optional: with a Commander that is not one,
// the dispatcher reads the store. *app.Commands implements it.
type StreamViewer interface {
	ViewStream(ctx context.Context, stream string) (app.StreamView, error)
}

var _ StreamViewer = (*app.Commands)(nil)

// PendingOffer is an offer not yet answered, expired or withdrawn.
type PendingOffer struct {
	OrderID   uuid.UUID
	OfferID   uuid.UUID
	TeamID    string
	ExpiresAt time.Time
}

// DueOffers is the read model the expiry ticker asks; the projections' offers
// model implements it in production, LogOffers without one.
type DueOffers interface {
	// DueOffers returns up to limit pending offers whose ExpiresAt is at or
	// before now, earliest expiry first. It may lag the log: an offer
	// answered meanwhile may still be listed (expiring it is a no-op), but
	// an offer must be listed once the read model has seen it and it is due,
	// for as long as it stays pending. Safe for concurrent use.
	DueOffers(ctx context.Context, now time.Time, limit int) ([]PendingOffer, error)
}

// TeamOffers lists a team's pending offers, so a suspension can withdraw
// them. Safe for concurrent use.
type TeamOffers interface {
	// TeamOffers lists the team's pending offers as of position upTo or
	// later (the suspension's position): a read model that lags must first
	// catch up to it, or an offer made just before the suspension would
	// stay with the suspended team until it expires.
	TeamOffers(ctx context.Context, teamID string, upTo eventstore.Position) ([]PendingOffer, error)
}

// Checkpoint keeps the position of the last event Run handled, so a restart
// resumes there. Positions saved are ones the store delivered.
type Checkpoint interface {
	// Load returns the saved position, or eventstore.Start when none was.
	Load(ctx context.Context) (eventstore.Position, error)
	Save(ctx context.Context, pos eventstore.Position) error
}
