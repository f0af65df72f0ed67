package projections

import (
	"context"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// offerRow is an order's pending offer: an order has at most one, so the
// order id keys it. It goes when the offer is answered, expires, is
// withdrawn, or the order is cancelled.
type offerRow struct {
	OfferID, Team, Category, Station, Institute string
	OfferedAt, ExpiresAt                        int64
	Automatic, Attempt, Position                int64
}

// OffersDefinition: pending offers per team with their expiry — the teams'
// inbox and the dispatcher's source of due offers.
func OffersDefinition() Definition {
	return Definition{
		Name:   NameOffers,
		Tables: []string{"offers"},
		Types: []string{domain.EventTypeOrderOffered, domain.EventTypeOfferAccepted, domain.EventTypeOfferDeclined,
			domain.EventTypeOfferExpired, domain.EventTypeOfferWithdrawn, domain.EventTypeOrderCancelled,
			domain.EventTypeOrderEscalated},
		Migrations: []Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {offers} (
				order_id     TEXT PRIMARY KEY,
				offer_id     TEXT NOT NULL,
				team_id      TEXT NOT NULL,
				category     TEXT NOT NULL,
				station_id   TEXT NOT NULL,
				institute_id TEXT NOT NULL,
				offered_at   BIGINT NOT NULL,
				expires_at   BIGINT NOT NULL,
				automatic    BIGINT NOT NULL,
				attempt      BIGINT NOT NULL,
				position     BIGINT NOT NULL
			)`,
			`CREATE INDEX {offers}_team ON {offers} (team_id, expires_at)`,
			`CREATE INDEX {offers}_expiry ON {offers} (expires_at, order_id)`,
		}}},
		New: newOffersModel,
	}
}

type offersModel struct {
	rows *Table[uuid.UUID, offerRow]
}

func newOffersModel(u *Unit) Model {
	return &offersModel{rows: NewTable(u, TableSpec[uuid.UUID, offerRow]{
		Load: func(ctx context.Context, tx *Tx, id uuid.UUID) (offerRow, bool, error) {
			var r offerRow
			row, err := tx.QueryRow(ctx, `SELECT offer_id, team_id, category, station_id, institute_id, offered_at,
				expires_at, automatic, attempt, position FROM {offers} WHERE order_id = $1`, id.String())
			if err != nil {
				return r, false, err
			}
			found, err := loadRow(row, &r.OfferID, &r.Team, &r.Category, &r.Station, &r.Institute, &r.OfferedAt,
				&r.ExpiresAt, &r.Automatic, &r.Attempt, &r.Position)
			return r, found, err
		},
		Save: func(ctx context.Context, tx *Tx, id uuid.UUID, r offerRow) error {
			return tx.Exec(ctx, `INSERT INTO {offers} (order_id, offer_id, team_id, category, station_id, institute_id,
				offered_at, expires_at, automatic, attempt, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (order_id) DO UPDATE SET offer_id = excluded.offer_id, team_id = excluded.team_id,
				offered_at = excluded.offered_at, expires_at = excluded.expires_at, automatic = excluded.automatic,
				attempt = excluded.attempt, position = excluded.position`,
				id.String(), r.OfferID, r.Team, r.Category, r.Station, r.Institute, r.OfferedAt, r.ExpiresAt, r.Automatic,
				r.Attempt, r.Position)
		},
		Insert: &InsertSpec[uuid.UUID, offerRow]{
			Table: "offers", Columns: `order_id, offer_id, team_id, category, station_id, institute_id, offered_at,
				expires_at, automatic, attempt, position`,
			Args: func(id uuid.UUID, r offerRow) []any {
				return []any{id.String(), r.OfferID, r.Team, r.Category, r.Station, r.Institute, r.OfferedAt, r.ExpiresAt,
					r.Automatic, r.Attempt, r.Position}
			},
			Compare: compareUUID,
		},
		Delete: func(ctx context.Context, tx *Tx, id uuid.UUID) error {
			return tx.Exec(ctx, `DELETE FROM {offers} WHERE order_id = $1`, id.String())
		},
	})}
}

func (m *offersModel) Apply(ctx context.Context, tx *Tx, ev *Event) error {
	e, ok := ev.Decoded.(domain.Event)
	if !ok {
		return nil
	}
	var order uuid.UUID
	switch x := e.(type) {
	case domain.OrderOffered:
		auto := int64(0)
		if x.Automatic {
			auto = 1
		}
		return m.rows.Put(ctx, tx, x.OrderID, offerRow{OfferID: x.OfferID.String(), Team: x.TeamID,
			Category: string(x.Category), Station: x.StationID, Institute: x.InstituteID, OfferedAt: ms(x.OfferedAt),
			ExpiresAt: ms(x.ExpiresAt), Automatic: auto, Attempt: int64(x.Attempt), Position: int64(ev.Position)})
	case domain.OfferAccepted:
		order = x.OrderID
	case domain.OfferDeclined:
		order = x.OrderID
	case domain.OfferExpired:
		order = x.OrderID
	case domain.OfferWithdrawn:
		order = x.OrderID
	case domain.OrderCancelled:
		order = x.OrderID
	case domain.OrderEscalated:
		order = x.OrderID
	default:
		return nil
	}
	return m.rows.Delete(ctx, tx, order)
}
