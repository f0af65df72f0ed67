package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// WithdrawOffer takes a pending offer back without counting it against the
// team: the dispatcher issues it for each pending offer of a suspended team,
// with the suspension event's id as CausationID and IdempotencyKey.
type WithdrawOffer struct {
	Envelope
	OrderID uuid.UUID
	// OfferID names the offer; optional, uuid.Nil for the current one.
	OfferID uuid.UUID
	Reason  string
}

// WithdrawOffer withdraws the offer when it is still pending; an offer no
// longer pending (answered, expired, reassigned) yields no events and no
// error, so a late or repeated withdrawal is harmless.
func (c *Commands) WithdrawOffer(ctx context.Context, cmd WithdrawOffer) (OrderResult, error) {
	return c.onOrder(ctx, "WithdrawOffer", "withdraw the offer of", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Withdraw(cmd.Actor, cmd.OfferID, cmd.Reason, now)
		})
}
