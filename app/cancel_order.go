package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// CancelOrder is the placing resident or a coordinator calling the order off.
type CancelOrder struct {
	Envelope
	OrderID uuid.UUID
	Reason  string
}

// CancelOrder cancels an order that is not completed yet.
func (c *Commands) CancelOrder(ctx context.Context, cmd CancelOrder) (OrderResult, error) {
	return c.onOrder(ctx, "CancelOrder", "cancel", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Cancel(cmd.Actor, cmd.Reason, now)
		})
}
