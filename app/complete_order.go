package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// CompleteOrder is the accepting team reporting the service done.
type CompleteOrder struct {
	Envelope
	OrderID        uuid.UUID
	VolunteerHours float64
	Notes          string
}

// CompleteOrder records that the accepting team finished.
func (c *Commands) CompleteOrder(ctx context.Context, cmd CompleteOrder) (OrderResult, error) {
	return c.onOrder(ctx, "CompleteOrder", "complete", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Complete(cmd.Actor, cmd.VolunteerHours, cmd.Notes, now)
		})
}
