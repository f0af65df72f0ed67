package app

import (
	"context"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
)

// PlaceOrder is a resident asking for a service.
type PlaceOrder struct {
	Envelope
	Category  domain.Category
	Title     string
	Details   string
	StationID string
	Contact   string
}

// PlaceOrder creates an order. Its id is random, or derived from the
// idempotency key, so a retry finds the order the first request created and
// returns the same result.
func (c *Commands) PlaceOrder(ctx context.Context, cmd PlaceOrder) (OrderResult, error) {
	const command = "PlaceOrder"
	orderID := newIDs(cmd.IdempotencyKey, cmd.Actor.Subject, command, "").named("order")
	stream := domain.OrderStream(orderID)
	in := domain.NewOrder{ID: orderID, Category: cmd.Category, Title: cmd.Title, Details: cmd.Details,
		StationID: cmd.StationID, Contact: cmd.Contact}
	out, err := c.apply(ctx, change{
		command: command,
		stream:  stream,
		env:     cmd.Envelope,
		ids:     newIDs(cmd.IdempotencyKey, cmd.Actor.Subject, command, stream),
		// Without a key the order's id is random: its stream is new.
		unwritten: cmd.IdempotencyKey == "",
		decide: func(_ context.Context, history []domain.Event, now time.Time) ([]domain.Event, error) {
			if len(history) > 0 {
				// Only a derived id can collide, and a retry is replayed
				// before deciding: this is another command of the same
				// key that reached an order made by this one.
				return nil, fmt.Errorf("%w: order %s exists already", domain.ErrConflict, orderID)
			}
			placed, err := domain.PlaceOrder(c.dir, cmd.Actor, in, now)
			if err != nil {
				return nil, err
			}
			return []domain.Event{placed}, nil
		},
	})
	if err != nil {
		return OrderResult{}, fmt.Errorf("place an order: %w", err)
	}
	return orderResult(orderID, out)
}
