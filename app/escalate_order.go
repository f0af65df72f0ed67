package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// EscalateOrder hands a placed order to the coordinators. The dispatcher
// issues it as domain.SystemActor("dispatcher") when it runs out of
// candidates or offers, with the triggering event's id as CausationID and
// IdempotencyKey; a coordinator or admin may issue it too.
type EscalateOrder struct {
	Envelope
	OrderID uuid.UUID
	// Reason says why no team got the order; required.
	Reason string
}

// EscalateOrder escalates a placed order. An order offered, escalated or
// closed meanwhile is refused with the domain's conflict
// (domain.ErrNotEscalatable, domain.ErrAlreadyEscalated, …), so a
// coordinator's dispatch that raced the dispatcher stands.
func (c *Commands) EscalateOrder(ctx context.Context, cmd EscalateOrder) (OrderResult, error) {
	return c.onOrder(ctx, "EscalateOrder", "escalate", cmd.Envelope, cmd.OrderID,
		func(_ context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			return o.Escalate(cmd.Actor, cmd.Reason, now)
		})
}
