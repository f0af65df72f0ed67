package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// OrderResult is what an order command did.
type OrderResult struct {
	OrderID uuid.UUID
	// Status is the order's status right after the command's events.
	Status domain.OrderStatus
	// Revision is the revision of the order stream's last event after the
	// command (the HTTP ETag); Position that event's global position.
	Revision uint64
	Position eventstore.Position
	// Replayed says an earlier request with the same idempotency key did
	// this, and this one appended nothing.
	Replayed bool
	// Events are the command's events (none when there was nothing to do).
	Events []domain.Event
	// Order is the order's state right after the command's events.
	Order *domain.Order
}

// orderDecision decides one command against a rehydrated order.
type orderDecision func(ctx context.Context, o *domain.Order, now time.Time) ([]domain.Event, error)

// onOrder runs a command on an existing order. what names it in errors
// ("accept the offer of").
func (c *Commands) onOrder(ctx context.Context, command, what string, env Envelope, orderID uuid.UUID, decide orderDecision) (OrderResult, error) {
	stream := domain.OrderStream(orderID)
	out, err := c.apply(ctx, change{
		command: command,
		stream:  stream,
		env:     env,
		ids:     newIDs(env.IdempotencyKey, env.Actor.Subject, command, stream),
		decide: func(ctx context.Context, history []domain.Event, now time.Time) ([]domain.Event, error) {
			o, err := domain.RehydrateOrder(history)
			if err != nil {
				return nil, err
			}
			return decide(ctx, o, now)
		},
	})
	if err != nil {
		return OrderResult{}, fmt.Errorf("%s order %s: %w", what, orderID, err)
	}
	return orderResult(orderID, out)
}

func orderResult(id uuid.UUID, out outcome) (OrderResult, error) {
	o, err := domain.RehydrateOrder(out.history)
	if err != nil {
		return OrderResult{}, fmt.Errorf("order %s after the command: %w", id, err)
	}
	return OrderResult{
		OrderID: id, Status: o.Status(), Revision: out.revision, Position: out.position,
		Replayed: out.replayed, Events: out.events, Order: o,
	}, nil
}
