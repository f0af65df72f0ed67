package projections

import (
	"context"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// Satisfaction dimensions (values of satisfaction.dimension and of the
// API's ?by=).
const (
	ByTeam      = "team"
	ByCategory  = "category"
	ByStation   = "station"
	ByInstitute = "institute"
	ByDay       = "day"
)

var dimensions = [...]string{ByTeam, ByCategory, ByStation, ByInstitute, ByDay}

// Dimensions lists the satisfaction dimensions.
func Dimensions() []string { return dimensions[:] }

type satKey struct{ Dimension, Key string }

// satRow counts, for one key of one dimension, completed orders and their
// ratings. An order counts on the day (UTC+8) it was completed, for its
// completion and for its rating alike, so coverage = ratings / completed
// stays within 0–1 per day.
type satRow struct {
	Completed, Ratings, GoodRatings, StarsSum int64
}

// satOrder is what a rating needs of its completion: the day it counts on.
type satOrder struct{ Day string }

// SatisfactionDefinition: 好评率 and rating coverage by team, category,
// station, institute and day.
func SatisfactionDefinition() Definition {
	return Definition{
		Name:   NameSatisfaction,
		Tables: []string{"satisfaction", "satisfaction_pending"},
		Types:  []string{domain.EventTypeOrderCompleted, domain.EventTypeOrderRated},
		Migrations: []Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {satisfaction} (
				dimension    TEXT NOT NULL,
				key          TEXT NOT NULL,
				completed    BIGINT NOT NULL,
				ratings      BIGINT NOT NULL,
				good_ratings BIGINT NOT NULL,
				stars_sum    BIGINT NOT NULL,
				PRIMARY KEY (dimension, key)
			)` + WithoutRowID,
			`CREATE TABLE {satisfaction_pending} (
				order_id      TEXT PRIMARY KEY,
				completed_day TEXT NOT NULL
			)` + WithoutRowID,
		}}},
		New: newSatisfactionModel,
	}
}

type satisfactionModel struct {
	rows    *Table[satKey, satRow]
	pending *Table[uuid.UUID, satOrder]
}

func newSatisfactionModel(u *Unit) Model {
	return &satisfactionModel{
		rows: NewTable(u, TableSpec[satKey, satRow]{
			Load: func(ctx context.Context, tx *Tx, k satKey) (satRow, bool, error) {
				var r satRow
				row, err := tx.QueryRow(ctx, `SELECT completed, ratings, good_ratings, stars_sum FROM {satisfaction}
					WHERE dimension = $1 AND key = $2`, k.Dimension, k.Key)
				if err != nil {
					return r, false, err
				}
				found, err := loadRow(row, &r.Completed, &r.Ratings, &r.GoodRatings, &r.StarsSum)
				return r, found, err
			},
			Save: func(ctx context.Context, tx *Tx, k satKey, r satRow) error {
				return tx.Exec(ctx, `INSERT INTO {satisfaction} (dimension, key, completed, ratings, good_ratings, stars_sum)
					VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dimension, key) DO UPDATE SET completed = excluded.completed,
					ratings = excluded.ratings, good_ratings = excluded.good_ratings, stars_sum = excluded.stars_sum`,
					k.Dimension, k.Key, r.Completed, r.Ratings, r.GoodRatings, r.StarsSum)
			},
		}),
		pending: NewTable(u, TableSpec[uuid.UUID, satOrder]{
			Load: func(ctx context.Context, tx *Tx, id uuid.UUID) (satOrder, bool, error) {
				var o satOrder
				row, err := tx.QueryRow(ctx, `SELECT completed_day FROM {satisfaction_pending} WHERE order_id = $1`, id.String())
				if err != nil {
					return o, false, err
				}
				found, err := loadRow(row, &o.Day)
				return o, found, err
			},
			Save: func(ctx context.Context, tx *Tx, id uuid.UUID, o satOrder) error {
				return tx.Exec(ctx, `INSERT INTO {satisfaction_pending} (order_id, completed_day) VALUES ($1, $2)
					ON CONFLICT (order_id) DO UPDATE SET completed_day = excluded.completed_day`, id.String(), o.Day)
			},
			Insert: &InsertSpec[uuid.UUID, satOrder]{
				Table: "satisfaction_pending", Columns: "order_id, completed_day",
				Args:    func(id uuid.UUID, o satOrder) []any { return []any{id.String(), o.Day} },
				Compare: compareUUID,
			},
			Delete: func(ctx context.Context, tx *Tx, id uuid.UUID) error {
				return tx.Exec(ctx, `DELETE FROM {satisfaction_pending} WHERE order_id = $1`, id.String())
			},
		}),
	}
}

func (m *satisfactionModel) Apply(ctx context.Context, tx *Tx, ev *Event) error {
	switch x := ev.Decoded.(type) {
	case domain.OrderCompleted:
		day := dayOf(x.CompletedAt)
		if err := m.pending.Put(ctx, tx, x.OrderID, satOrder{Day: day}); err != nil {
			return err
		}
		return m.add(ctx, tx, [5]string{x.TeamID, string(x.Category), x.StationID, x.InstituteID, day},
			func(r *satRow) { r.Completed++ })
	case domain.OrderRated:
		id := x.OrderID
		o, found, err := m.pending.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		day := o.Day
		if !found {
			day = dayOf(x.RatedAt) // its completion was parked; count the rating on its own day
		}
		if err := m.pending.Delete(ctx, tx, id); err != nil {
			return err
		}
		return m.add(ctx, tx, [5]string{x.TeamID, string(x.Category), x.StationID, x.InstituteID, day},
			func(r *satRow) {
				r.Ratings++
				r.StarsSum += int64(x.Stars)
				if x.Stars >= 4 {
					r.GoodRatings++
				}
			})
	}
	return nil
}

// add applies f to the rows of the order's team, category, station,
// institute and day.
func (m *satisfactionModel) add(ctx context.Context, tx *Tx, keys [5]string, f func(*satRow)) error {
	for i, dim := range dimensions {
		k := satKey{dim, keys[i]}
		r, _, err := m.rows.Get(ctx, tx, k)
		if err != nil {
			return err
		}
		f(&r)
		if err := m.rows.Put(ctx, tx, k, r); err != nil {
			return err
		}
	}
	return nil
}
