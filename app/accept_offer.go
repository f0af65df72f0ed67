package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// AcceptOffer is the offered team taking the order.
type AcceptOffer struct {
	Envelope
	OrderID uuid.UUID
	// OfferID names the offer answered; optional, uuid.Nil for the current one.
	OfferID uuid.UUID
}

// AcceptOffer accepts the order's pending offer for the actor's team. Of
// several teams members racing, one succeeds and the others get
// domain.ErrAlreadyAccepted.
func (c *Commands) AcceptOffer(ctx context.Context, cmd AcceptOffer) (OrderResult, error) {
	return c.onOrder(ctx, "AcceptOffer", "accept the offer of", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Accept(cmd.Actor, cmd.OfferID, now)
		})
}
