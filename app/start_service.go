package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// StartService is the accepting team beginning the service.
type StartService struct {
	Envelope
	OrderID uuid.UUID
}

// StartService records that the accepting team began serving.
func (c *Commands) StartService(ctx context.Context, cmd StartService) (OrderResult, error) {
	return c.onOrder(ctx, "StartService", "start the service of", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.StartService(cmd.Actor, now)
		})
}
