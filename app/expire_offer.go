package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// ExpireOffer is the offer timer lapsing an unanswered offer. The
// dispatcher issues it as domain.SystemActor("dispatcher"), with the offer
// event's id as CausationID.
type ExpireOffer struct {
	Envelope
	OrderID uuid.UUID
	OfferID uuid.UUID
}

// ExpireOffer lapses the offer when it is still pending and due. A late or
// repeated timer is harmless: an offer no longer pending yields no events and
// no error, and without an idempotency key the event's id derives from the
// offer id, so a redelivered expiry appends nothing.
func (c *Commands) ExpireOffer(ctx context.Context, cmd ExpireOffer) (OrderResult, error) {
	if cmd.IdempotencyKey == "" {
		cmd.IdempotencyKey = "expire-" + cmd.OfferID.String()
	}
	return c.onOrder(ctx, "ExpireOffer", "expire the offer of", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Expire(cmd.OfferID, now)
		})
}
