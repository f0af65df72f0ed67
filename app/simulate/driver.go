package simulate

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// Driver is how the simulator acts on Paidan. Each method acts as the person
// named; refusals are returned as errors in the domain's classes
// (errors.Is(err, domain.ErrConflict) and so on), so the simulator tells a
// lost race from a failure the same way whatever the transport.
type Driver interface {
	// RegisterTeam registers a generated team as a coordinator and returns the
	// id it has in Paidan. Registering the same team again returns the same
	// id and changes nothing.
	RegisterTeam(ctx context.Context, t domain.DistrictTeam) (string, error)
	// PlaceOrder places an order as the resident.
	PlaceOrder(ctx context.Context, resident string, o NewOrder) (uuid.UUID, error)
	// Order reads the order as it stands in the store.
	Order(ctx context.Context, id uuid.UUID) (OrderView, error)
	Accept(ctx context.Context, team string, order, offer uuid.UUID) error
	Decline(ctx context.Context, team string, order, offer uuid.UUID, reason string) error
	Start(ctx context.Context, team string, order uuid.UUID) error
	Complete(ctx context.Context, team string, order uuid.UUID, hours float64, notes string) error
	Rate(ctx context.Context, resident string, order uuid.UUID, stars int, comment string) error
	Cancel(ctx context.Context, resident string, order uuid.UUID, reason string) error
}

// NewOrder is what a resident asks for.
type NewOrder struct {
	Category  domain.Category
	Title     string
	Details   string
	StationID string
	Contact   string
}

// OrderView is an order as the simulator needs to see it.
type OrderView struct {
	Status domain.OrderStatus
	// Offer is the pending offer when Status is offered.
	Offer domain.Offer
	// AcceptedTeam is the team that accepted it, once one did.
	AcceptedTeam string
	// Offers counts the offers made; Undecided those made automatically
	// without a decision record (there should be none).
	Offers, Undecided int
}

// viewOf folds an order's events.
func viewOf(history []domain.Event) (OrderView, error) {
	o, err := domain.RehydrateOrder(history)
	if err != nil {
		return OrderView{}, fmt.Errorf("order history: %w", err)
	}
	v := OrderView{Status: o.Status(), AcceptedTeam: o.AcceptedTeam()}
	v.Offer, _ = o.CurrentOffer()
	for _, e := range history {
		if off, ok := e.(domain.OrderOffered); ok {
			v.Offers++
			if off.Automatic && off.Decision == nil {
				v.Undecided++
			}
		}
	}
	return v, nil
}
