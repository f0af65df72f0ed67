package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OrderView is one order as the orders read model holds it.
type OrderView struct {
	OrderID          string     `json:"order_id"`
	Status           string     `json:"status"`
	Category         string     `json:"category"`
	Title            string     `json:"title"`
	Resident         string     `json:"resident"`
	StationID        string     `json:"station_id"`
	InstituteID      string     `json:"institute_id"`
	TeamID           string     `json:"team_id,omitempty"`
	OfferID          string     `json:"offer_id,omitempty"`
	OfferExpiresAt   *time.Time `json:"offer_expires_at,omitempty"`
	Offers           int64      `json:"offers"`
	Declines         int64      `json:"declines"`
	Expiries         int64      `json:"expiries"`
	Withdrawals      int64      `json:"withdrawals"`
	PlacedAt         time.Time  `json:"placed_at"`
	FirstOfferedAt   *time.Time `json:"first_offered_at,omitempty"`
	OfferedAt        *time.Time `json:"offered_at,omitempty"`
	AcceptedAt       *time.Time `json:"accepted_at,omitempty"`
	StartedAt        *time.Time `json:"started_at,omitempty"`
	CompletedAt      *time.Time `json:"completed_at,omitempty"`
	RatedAt          *time.Time `json:"rated_at,omitempty"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
	EscalatedAt      *time.Time `json:"escalated_at,omitempty"`
	EscalationReason string     `json:"escalation_reason,omitempty"`
	CancelledBy      string     `json:"cancelled_by,omitempty"`
	CancelReason     string     `json:"cancel_reason,omitempty"`
	Stars            int64      `json:"stars,omitempty"`
	VolunteerHours   float64    `json:"volunteer_hours"`
	// Revision is the order stream's revision the row reflects (the ETag).
	Revision uint64 `json:"revision"`
	Position uint64 `json:"position"`
}

func orderView(id string, r orderRow) OrderView {
	return OrderView{OrderID: id, Status: r.Status, Category: r.Category, Title: r.Title, Resident: r.Resident,
		StationID: r.Station, InstituteID: r.Institute, TeamID: r.Team, OfferID: r.OfferID,
		OfferExpiresAt: timePtr(r.OfferExpiresAt), Offers: r.Offers, Declines: r.Declines, Expiries: r.Expiries,
		Withdrawals: r.Withdrawals, PlacedAt: time.UnixMilli(r.PlacedAt).UTC(), FirstOfferedAt: timePtr(r.FirstOfferedAt),
		OfferedAt: timePtr(r.OfferedAt), AcceptedAt: timePtr(r.AcceptedAt), StartedAt: timePtr(r.StartedAt),
		CompletedAt: timePtr(r.CompletedAt), RatedAt: timePtr(r.RatedAt), CancelledAt: timePtr(r.CancelledAt),
		EscalatedAt: timePtr(r.EscalatedAt), EscalationReason: r.EscalationReason, CancelledBy: r.CancelledBy,
		CancelReason: r.CancelReason, Stars: r.Stars, VolunteerHours: r.VolunteerHours,
		Revision: uint64(r.Revision), Position: uint64(r.Position)}
}

// Order returns one order; ErrNotFound when the read model has none (yet:
// wait for the command's position first).
func (r *Reader) Order(ctx context.Context, id string) (OrderView, Freshness, error) {
	var v OrderView
	fr, err := r.read(ctx, NameOrders, func(tx snapshot) error {
		var row orderRow
		err := tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE order_id = $1`, id).Scan(row.dest()...)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("order %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("order %s: %w", id, err)
		}
		v = orderView(id, row)
		return nil
	})
	return v, fr, err
}
