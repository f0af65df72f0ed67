package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// RateOrder is the resident rating the completed service.
type RateOrder struct {
	Envelope
	OrderID uuid.UUID
	Stars   int
	Comment string
}

// RateOrder records the placing resident's rating of a completed order.
func (c *Commands) RateOrder(ctx context.Context, cmd RateOrder) (OrderResult, error) {
	return c.onOrder(ctx, "RateOrder", "rate", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Rate(cmd.Actor, cmd.Stars, cmd.Comment, now)
		})
}
