package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// DeclineOffer is the offered team refusing the order.
type DeclineOffer struct {
	Envelope
	OrderID uuid.UUID
	// OfferID names the offer answered; optional, uuid.Nil for the current one.
	OfferID uuid.UUID
	Reason  string
}

// DeclineOffer refuses the pending offer for the actor's team; the order is
// placed again.
func (c *Commands) DeclineOffer(ctx context.Context, cmd DeclineOffer) (OrderResult, error) {
	return c.onOrder(ctx, "DeclineOffer", "decline the offer of", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Decline(cmd.Actor, cmd.OfferID, cmd.Reason, now)
		})
}
