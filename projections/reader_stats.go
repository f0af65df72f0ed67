package projections

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// SatisfactionRow is one key of a satisfaction report.
type SatisfactionRow struct {
	Key         string `json:"key"`
	Ratings     int64  `json:"ratings"`
	GoodRatings int64  `json:"good_ratings"`
	// GoodRatingRate (好评率) is GoodRatings / Ratings, 0–1 (0 without ratings).
	GoodRatingRate float64 `json:"good_rating_rate"`
	AverageStars   float64 `json:"average_stars"`
	Completed      int64   `json:"completed"`
	// RatingCoverage is Ratings / Completed, 0–1 (0 without completions).
	RatingCoverage float64 `json:"rating_coverage"`
}

// SatisfactionReport is the satisfaction read model by one dimension.
type SatisfactionReport struct {
	By        string            `json:"by"`
	Rows      []SatisfactionRow `json:"rows"`
	Freshness Freshness         `json:"freshness"`
}

// Satisfaction reports 好评率, average stars and coverage by team, category,
// station, institute or day (see Dimensions), rows ordered by key.
func (r *Reader) Satisfaction(ctx context.Context, by string) (SatisfactionReport, error) {
	if !slices.Contains(Dimensions(), by) {
		return SatisfactionReport{}, fmt.Errorf("%w: satisfaction by %q, expected one of %v", ErrInvalidQuery, by, Dimensions())
	}
	rep := SatisfactionReport{By: by, Rows: []SatisfactionRow{}}
	fr, err := r.read(ctx, NameSatisfaction, func(tx snapshot) error {
		rows, err := tx.QueryContext(ctx, `SELECT key, completed, ratings, good_ratings, stars_sum FROM satisfaction
			WHERE dimension = $1 ORDER BY key`, by)
		if err != nil {
			return fmt.Errorf("satisfaction: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var s SatisfactionRow
			var stars int64
			if err := rows.Scan(&s.Key, &s.Completed, &s.Ratings, &s.GoodRatings, &stars); err != nil {
				return fmt.Errorf("satisfaction: %w", err)
			}
			s.GoodRatingRate, s.AverageStars = rate(s.GoodRatings, s.Ratings), rate(stars, s.Ratings)
			s.RatingCoverage = rate(s.Ratings, s.Completed)
			rep.Rows = append(rep.Rows, s)
		}
		return rows.Err()
	})
	rep.Freshness = fr
	return rep, err
}

// SLA stages.
const (
	StageFirstOffer = "placed_to_first_offer"
	StageAccept     = "offer_to_acceptance"
	StageComplete   = "acceptance_to_completion"
)

// SLAStage summarises one stage's durations in seconds.
type SLAStage struct {
	Stage       string  `json:"stage"`
	Count       int64   `json:"count"`
	MeanSeconds float64 `json:"mean_seconds"`
	P50Seconds  float64 `json:"p50_seconds"`
	P90Seconds  float64 `json:"p90_seconds"`
}

// SLAReport is the SLA read model, for all orders or one category. It is
// computed from the orders projection's duration columns; its Freshness is
// that of NameOrders.
type SLAReport struct {
	Category string     `json:"category,omitempty"`
	Stages   []SLAStage `json:"stages"`
	// Redispatched counts orders offered more than once; Redispatches the
	// offers after each order's first.
	Orders       int64     `json:"orders"`
	Redispatched int64     `json:"redispatched"`
	Redispatches int64     `json:"redispatches"`
	Freshness    Freshness `json:"freshness"`
}

// SLA reports count, mean, p50 and p90 (nearest rank) of each stage, for one
// category or all ("").
func (r *Reader) SLA(ctx context.Context, category string) (SLAReport, error) {
	rep := SLAReport{Category: category}
	stages := []struct{ name, col string }{
		{StageFirstOffer, "to_first_offer_ms"}, {StageAccept, "to_accept_ms"}, {StageComplete, "to_complete_ms"},
	}
	fr, err := r.read(ctx, NameOrders, func(tx snapshot) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN redispatches > 0 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(redispatches), 0) FROM orders WHERE ($1 = '' OR category = $1)`, category).
			Scan(&rep.Orders, &rep.Redispatched, &rep.Redispatches); err != nil {
			return fmt.Errorf("sla: %w", err)
		}
		for _, s := range stages {
			st := SLAStage{Stage: s.name}
			var sum float64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(`+s.col+`), COALESCE(SUM(`+s.col+`), 0) FROM orders
				WHERE ($1 = '' OR category = $1)`, category).Scan(&st.Count, &sum); err != nil {
				return fmt.Errorf("sla %s: %w", s.name, err)
			}
			if st.Count > 0 {
				st.MeanSeconds = sum / float64(st.Count) / 1000
				for _, p := range []struct {
					q   float64
					dst *float64
				}{{0.5, &st.P50Seconds}, {0.9, &st.P90Seconds}} {
					rank := int64(math.Ceil(p.q * float64(st.Count)))
					var v int64
					if err := tx.QueryRowContext(ctx, `SELECT `+s.col+` FROM orders WHERE `+s.col+` IS NOT NULL
						AND ($1 = '' OR category = $1) ORDER BY `+s.col+` LIMIT 1 OFFSET $2`, category, rank-1).Scan(&v); err != nil {
						return fmt.Errorf("sla %s p%v: %w", s.name, p.q*100, err)
					}
					*p.dst = float64(v) / 1000
				}
			}
			rep.Stages = append(rep.Stages, st)
		}
		return nil
	})
	rep.Freshness = fr
	return rep, err
}
