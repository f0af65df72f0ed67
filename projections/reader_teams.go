package projections

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// TeamView is one team's board entry.
type TeamView struct {
	TeamID      string   `json:"team_id"`
	Name        string   `json:"name"`
	StationID   string   `json:"station_id"`
	InstituteID string   `json:"institute_id"`
	Skills      []string `json:"skills"`
	Capacity    int64    `json:"capacity"`
	Active      bool     `json:"active"`
	// Load = Offered + Accepted: pending offers and accepted orders not yet
	// completed or cancelled.
	Load           int64 `json:"load"`
	Offered        int64 `json:"offered"`
	Accepted       int64 `json:"accepted"`
	OffersTotal    int64 `json:"offers_total"`
	AcceptedTotal  int64 `json:"accepted_total"`
	DeclinedTotal  int64 `json:"declined_total"`
	ExpiredTotal   int64 `json:"expired_total"`
	WithdrawnTotal int64 `json:"withdrawn_total"`
	CompletedTotal int64 `json:"completed_total"`
	CancelledTotal int64 `json:"cancelled_total"`
	Ratings        int64 `json:"ratings"`
	GoodRatings    int64 `json:"good_ratings"`
	// GoodRatingRate is GoodRatings / Ratings (0–1; 0 without ratings).
	GoodRatingRate float64   `json:"good_rating_rate"`
	AverageStars   float64   `json:"average_stars"`
	StarsSum       int64     `json:"stars_sum"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func teamView(id string, r teamRow) TeamView {
	skills := []string{}
	for _, s := range strings.Split(strings.Trim(r.Skills, ","), ",") {
		if s != "" {
			skills = append(skills, s)
		}
	}
	return TeamView{TeamID: id, Name: r.Name, StationID: r.Station, InstituteID: r.Institute, Skills: skills,
		Capacity: r.Capacity, Active: r.Active == 1, Load: r.Offered + r.Accepted, Offered: r.Offered,
		Accepted: r.Accepted, OffersTotal: r.OffersTotal, AcceptedTotal: r.AcceptedTotal,
		DeclinedTotal: r.DeclinedTotal, ExpiredTotal: r.ExpiredTotal, WithdrawnTotal: r.WithdrawnTotal,
		CompletedTotal: r.CompletedTotal, CancelledTotal: r.CancelledTotal, Ratings: r.Ratings,
		GoodRatings: r.GoodRatings, GoodRatingRate: rate(r.GoodRatings, r.Ratings),
		AverageStars: rate(r.StarsSum, r.Ratings), StarsSum: r.StarsSum, UpdatedAt: time.UnixMilli(r.UpdatedAt).UTC()}
}

// TeamQuery filters the team board; empty fields match everything.
type TeamQuery struct {
	Category, Station, Institute string
	// Available keeps only active teams with free capacity (load < capacity):
	// the dispatcher's candidates.
	Available bool
}

// Teams lists teams by id.
func (r *Reader) Teams(ctx context.Context, q TeamQuery) ([]TeamView, Freshness, error) {
	out := []TeamView{}
	fr, err := r.read(ctx, NameTeams, func(tx snapshot) error {
		avail := 0
		if q.Available {
			avail = 1
		}
		rows, err := tx.QueryContext(ctx, `SELECT team_id, `+teamColumns+` FROM teams
			WHERE ($1 = '' OR skills LIKE '%,' || $1 || ',%') AND ($2 = '' OR station_id = $2)
			AND ($3 = '' OR institute_id = $3) AND ($4 = 0 OR (active = 1 AND load < capacity))
			ORDER BY team_id`, q.Category, q.Station, q.Institute, avail)
		if err != nil {
			return fmt.Errorf("teams: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var t teamRow
			if err := rows.Scan(append([]any{&id}, t.dest()...)...); err != nil {
				return fmt.Errorf("teams: %w", err)
			}
			out = append(out, teamView(id, t))
		}
		return rows.Err()
	})
	return out, fr, err
}

// Team returns one team; ErrNotFound when there is none.
func (r *Reader) Team(ctx context.Context, id string) (TeamView, Freshness, error) {
	var v TeamView
	fr, err := r.read(ctx, NameTeams, func(tx snapshot) error {
		var t teamRow
		err := tx.QueryRowContext(ctx, `SELECT `+teamColumns+` FROM teams WHERE team_id = $1`, id).Scan(t.dest()...)
		if err == sql.ErrNoRows {
			return fmt.Errorf("team %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("team %s: %w", id, err)
		}
		v = teamView(id, t)
		return nil
	})
	return v, fr, err
}

// OfferView is a pending offer.
type OfferView struct {
	OrderID     string    `json:"order_id"`
	OfferID     string    `json:"offer_id"`
	TeamID      string    `json:"team_id"`
	Category    string    `json:"category"`
	StationID   string    `json:"station_id"`
	InstituteID string    `json:"institute_id"`
	OfferedAt   time.Time `json:"offered_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	Automatic   bool      `json:"automatic"`
	Attempt     int64     `json:"attempt"`
}

const offerColumns = `order_id, offer_id, team_id, category, station_id, institute_id, offered_at, expires_at, automatic, attempt`

func (r *Reader) offers(ctx context.Context, q string, args ...any) ([]OfferView, Freshness, error) {
	out := []OfferView{}
	fr, err := r.read(ctx, NameOffers, func(tx snapshot) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("offers: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var o OfferView
			var at, exp, auto int64
			if err := rows.Scan(&o.OrderID, &o.OfferID, &o.TeamID, &o.Category, &o.StationID, &o.InstituteID, &at, &exp,
				&auto, &o.Attempt); err != nil {
				return fmt.Errorf("offers: %w", err)
			}
			o.OfferedAt, o.ExpiresAt, o.Automatic = time.UnixMilli(at).UTC(), time.UnixMilli(exp).UTC(), auto == 1
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, fr, err
}

// PendingOffers lists a team's pending offers, soonest expiry first.
func (r *Reader) PendingOffers(ctx context.Context, team string) ([]OfferView, Freshness, error) {
	return r.offers(ctx, `SELECT `+offerColumns+` FROM offers WHERE team_id = $1 ORDER BY expires_at, order_id`, team)
}

// DueOffers lists up to limit (at most 1000) pending offers that expired at
// or before now, oldest first: the dispatcher expires them.
func (r *Reader) DueOffers(ctx context.Context, now time.Time, limit int) ([]OfferView, Freshness, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return r.offers(ctx, `SELECT `+offerColumns+` FROM offers WHERE expires_at <= $1 ORDER BY expires_at, order_id LIMIT $2`,
		now.UnixMilli(), limit)
}

// NextOfferExpiry returns when the earliest pending offer expires, and false
// when none is pending: the dispatcher sleeps until then.
func (r *Reader) NextOfferExpiry(ctx context.Context) (time.Time, bool, Freshness, error) {
	var at sql.NullInt64
	fr, err := r.read(ctx, NameOffers, func(tx snapshot) error {
		return tx.QueryRowContext(ctx, `SELECT MIN(expires_at) FROM offers`).Scan(&at)
	})
	if err != nil || !at.Valid {
		return time.Time{}, false, fr, err
	}
	return time.UnixMilli(at.Int64).UTC(), true, fr, nil
}
