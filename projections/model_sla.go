package projections

import (
	"context"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// slaRow holds one order's dispatch timings in milliseconds: placed → first
// offer, last offer → acceptance, acceptance → completion (0, NULL in the
// table, until both ends happened), and how often it was offered again.
type slaRow struct {
	Category, Station, Institute        string
	PlacedAt, FirstOfferedAt, OfferedAt int64
	AcceptedAt, CompletedAt             int64
	ToFirstOffer, ToAccept, ToComplete  int64
	Offers, Redispatches                int64
}

// SLADefinition: per-order dispatch timings, aggregated by the SLA query.
func SLADefinition() Definition {
	return Definition{
		Name:   NameSLA,
		Tables: []string{"sla_orders"},
		Migrations: []Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {sla_orders} (
				order_id          TEXT PRIMARY KEY,
				category          TEXT NOT NULL,
				station_id        TEXT NOT NULL,
				institute_id      TEXT NOT NULL,
				placed_at         BIGINT NOT NULL,
				first_offered_at  BIGINT,
				offered_at        BIGINT,
				accepted_at       BIGINT,
				completed_at      BIGINT,
				to_first_offer_ms BIGINT,
				to_accept_ms      BIGINT,
				to_complete_ms    BIGINT,
				offers            BIGINT NOT NULL,
				redispatches      BIGINT NOT NULL
			)` + WithoutRowID,
			`CREATE INDEX {sla_orders}_category ON {sla_orders} (category, placed_at)`,
		}}},
		New: newSLAModel,
	}
}

type slaModel struct {
	rows *Table[uuid.UUID, slaRow]
}

func newSLAModel(u *Unit) Model {
	return &slaModel{rows: NewTable(u, TableSpec[uuid.UUID, slaRow]{
		Load: func(ctx context.Context, tx *Tx, id uuid.UUID) (slaRow, bool, error) {
			var r slaRow
			row, err := tx.QueryRow(ctx, `SELECT category, station_id, institute_id, placed_at, first_offered_at, offered_at,
				accepted_at, completed_at, to_first_offer_ms, to_accept_ms, to_complete_ms, offers, redispatches
				FROM {sla_orders} WHERE order_id = $1`, id.String())
			if err != nil {
				return r, false, err
			}
			found, err := loadRow(row, &r.Category, &r.Station, &r.Institute, &r.PlacedAt, nint{&r.FirstOfferedAt},
				nint{&r.OfferedAt}, nint{&r.AcceptedAt}, nint{&r.CompletedAt}, nint{&r.ToFirstOffer}, nint{&r.ToAccept},
				nint{&r.ToComplete}, &r.Offers, &r.Redispatches)
			return r, found, err
		},
		Save: func(ctx context.Context, tx *Tx, id uuid.UUID, r slaRow) error {
			return tx.Exec(ctx, `INSERT INTO {sla_orders} (order_id, category, station_id, institute_id, placed_at,
				first_offered_at, offered_at, accepted_at, completed_at, to_first_offer_ms, to_accept_ms, to_complete_ms,
				offers, redispatches) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
				ON CONFLICT (order_id) DO UPDATE SET first_offered_at = excluded.first_offered_at,
				offered_at = excluded.offered_at, accepted_at = excluded.accepted_at, completed_at = excluded.completed_at,
				to_first_offer_ms = excluded.to_first_offer_ms, to_accept_ms = excluded.to_accept_ms,
				to_complete_ms = excluded.to_complete_ms, offers = excluded.offers, redispatches = excluded.redispatches`,
				id.String(), r.Category, r.Station, r.Institute, r.PlacedAt, null(r.FirstOfferedAt), null(r.OfferedAt),
				null(r.AcceptedAt), null(r.CompletedAt), nullDuration(r.FirstOfferedAt, r.ToFirstOffer),
				nullDuration(r.AcceptedAt, r.ToAccept), nullDuration(r.CompletedAt, r.ToComplete), r.Offers, r.Redispatches)
		},
	})}
}

// nullDuration stores a duration as NULL until its end time exists (a
// duration of 0 ms is a real value once it does).
func nullDuration(end, d int64) any {
	if end == 0 {
		return nil
	}
	return d
}

func (m *slaModel) Apply(ctx context.Context, tx *Tx, ev *Event) error {
	var id uuid.UUID
	switch x := ev.Decoded.(type) {
	case domain.OrderPlaced:
		return m.rows.Put(ctx, tx, x.OrderID, slaRow{Category: string(x.Category), Station: x.StationID,
			Institute: x.InstituteID, PlacedAt: ms(x.PlacedAt)})
	case domain.OrderOffered:
		id = x.OrderID
	case domain.OfferAccepted:
		id = x.OrderID
	case domain.OrderCompleted:
		id = x.OrderID
	default:
		return nil
	}
	r, found, err := m.rows.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if !found {
		return errOrphan(ev, id.String())
	}
	switch x := ev.Decoded.(type) {
	case domain.OrderOffered:
		r.OfferedAt = ms(x.OfferedAt)
		if r.FirstOfferedAt == 0 {
			r.FirstOfferedAt, r.ToFirstOffer = r.OfferedAt, r.OfferedAt-r.PlacedAt
		}
		r.Offers++
		r.Redispatches = r.Offers - 1
	case domain.OfferAccepted:
		r.AcceptedAt = ms(x.AcceptedAt)
		r.ToAccept = r.AcceptedAt - r.OfferedAt
	case domain.OrderCompleted:
		r.CompletedAt = ms(x.CompletedAt)
		if r.AcceptedAt != 0 {
			r.ToComplete = r.CompletedAt - r.AcceptedAt
		}
	}
	return m.rows.Put(ctx, tx, id, r)
}
