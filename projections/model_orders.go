package projections

import (
	"context"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// Projection names: each is its projection's checkpoint identity and never
// changes (a new name replays the whole log into the new projection).
const (
	NameOrders       = "orders"
	NameQueue        = "queue"
	NameTeams        = "teams"
	NameOffers       = "offers"
	NameSatisfaction = "satisfaction"
	// NameSLA names the SLA read model for readers. Its figures are columns
	// of the orders projection (to_first_offer_ms, to_accept_ms,
	// to_complete_ms, redispatches), so it has no checkpoint of its own:
	// WaitFor, Position and Lag treat it as NameOrders.
	NameSLA = "sla"
)

// projectionOf maps a read model's name to the projection that maintains it.
func projectionOf(name string) string {
	if name == NameSLA {
		return NameOrders
	}
	return name
}

// Definitions returns Paidan's read-model projections in the order they run.
func Definitions() []Definition {
	return []Definition{
		OrdersDefinition(), QueueDefinition(), TeamsDefinition(),
		OffersDefinition(), SatisfactionDefinition(),
	}
}

// orderRow is one row of the orders table. Times are Unix milliseconds, 0
// (NULL in the table) until the step happened.
type orderRow struct {
	Status, Category, Title, Resident, Station, Institute string
	Team, OfferID                                         string
	OfferExpiresAt                                        int64
	Offers, Declines, Expiries, Withdrawals               int64
	PlacedAt, FirstOfferedAt, OfferedAt, AcceptedAt       int64
	StartedAt, CompletedAt, RatedAt, CancelledAt          int64
	EscalatedAt                                           int64
	EscalationReason, CancelledBy, CancelReason           string
	Stars                                                 int64
	VolunteerHours                                        float64
	Revision, Position                                    int64
	// SLA durations in ms (0/NULL until both ends happened) and the offers
	// after the first.
	ToFirstOffer, ToAccept, ToComplete, Redispatches int64
}

const orderColumns = `status, category, title, resident, station_id, institute_id, team_id, offer_id, offer_expires_at,
	offers, declines, expiries, withdrawals, placed_at, first_offered_at, offered_at, accepted_at, started_at,
	completed_at, rated_at, cancelled_at, escalated_at, escalation_reason, cancelled_by, cancel_reason, stars,
	volunteer_hours, revision, position, to_first_offer_ms, to_accept_ms, to_complete_ms, redispatches`

func (r *orderRow) dest() []any {
	return []any{&r.Status, &r.Category, &r.Title, &r.Resident, &r.Station, &r.Institute,
		nstr{&r.Team}, nstr{&r.OfferID}, nint{&r.OfferExpiresAt},
		&r.Offers, &r.Declines, &r.Expiries, &r.Withdrawals, &r.PlacedAt, nint{&r.FirstOfferedAt},
		nint{&r.OfferedAt}, nint{&r.AcceptedAt}, nint{&r.StartedAt}, nint{&r.CompletedAt}, nint{&r.RatedAt},
		nint{&r.CancelledAt}, nint{&r.EscalatedAt}, nstr{&r.EscalationReason}, nstr{&r.CancelledBy},
		nstr{&r.CancelReason}, nint{&r.Stars}, &r.VolunteerHours, &r.Revision, &r.Position,
		nint{&r.ToFirstOffer}, nint{&r.ToAccept}, nint{&r.ToComplete}, &r.Redispatches}
}

func (r *orderRow) args(id string) []any {
	return []any{id, r.Status, r.Category, r.Title, r.Resident, r.Station, r.Institute,
		nullStr(r.Team), nullStr(r.OfferID), null(r.OfferExpiresAt),
		r.Offers, r.Declines, r.Expiries, r.Withdrawals, r.PlacedAt, null(r.FirstOfferedAt),
		null(r.OfferedAt), null(r.AcceptedAt), null(r.StartedAt), null(r.CompletedAt), null(r.RatedAt),
		null(r.CancelledAt), null(r.EscalatedAt), nullStr(r.EscalationReason), nullStr(r.CancelledBy),
		nullStr(r.CancelReason), null(r.Stars), r.VolunteerHours, r.Revision, r.Position,
		nullDuration(r.FirstOfferedAt, r.ToFirstOffer), nullDuration(r.AcceptedAt, r.ToAccept),
		nullDuration(r.CompletedAt, r.ToComplete), r.Redispatches}
}

// nullDuration stores a duration as NULL until its end time exists (a
// duration of 0 ms is a real value once it does).
func nullDuration(end, d int64) any {
	if end == 0 {
		return nil
	}
	return d
}

// OrdersDefinition: one row per order with every step's time, and the
// dispatch durations the SLA report aggregates.
func OrdersDefinition() Definition {
	return Definition{
		Name:   NameOrders,
		Tables: []string{"orders"},
		Migrations: []Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {orders} (
				order_id          TEXT PRIMARY KEY,
				status            TEXT NOT NULL,
				category          TEXT NOT NULL,
				title             TEXT NOT NULL,
				resident          TEXT NOT NULL,
				station_id        TEXT NOT NULL,
				institute_id      TEXT NOT NULL,
				team_id           TEXT,
				offer_id          TEXT,
				offer_expires_at  BIGINT,
				offers            BIGINT NOT NULL,
				declines          BIGINT NOT NULL,
				expiries          BIGINT NOT NULL,
				withdrawals       BIGINT NOT NULL,
				placed_at         BIGINT NOT NULL,
				first_offered_at  BIGINT,
				offered_at        BIGINT,
				accepted_at       BIGINT,
				started_at        BIGINT,
				completed_at      BIGINT,
				rated_at          BIGINT,
				cancelled_at      BIGINT,
				escalated_at      BIGINT,
				escalation_reason TEXT,
				cancelled_by      TEXT,
				cancel_reason     TEXT,
				stars             BIGINT,
				volunteer_hours   DOUBLE PRECISION NOT NULL,
				revision          BIGINT NOT NULL,
				position          BIGINT NOT NULL
			)`,
			`CREATE INDEX {orders}_resident ON {orders} (resident, placed_at)`,
			`CREATE INDEX {orders}_team ON {orders} (team_id, placed_at)`,
			`CREATE INDEX {orders}_placed ON {orders} (placed_at)`,
		}}, {Version: 2, Statements: []string{
			// The SLA figures moved here from their own table. Rows written
			// before this version have them empty until a rebuild.
			`ALTER TABLE {orders} ADD COLUMN to_first_offer_ms BIGINT`,
			`ALTER TABLE {orders} ADD COLUMN to_accept_ms BIGINT`,
			`ALTER TABLE {orders} ADD COLUMN to_complete_ms BIGINT`,
			`ALTER TABLE {orders} ADD COLUMN redispatches BIGINT NOT NULL DEFAULT 0`,
			`CREATE INDEX {orders}_category ON {orders} (category, placed_at)`,
		}}},
		New: newOrdersModel,
	}
}

type ordersModel struct {
	rows *Table[uuid.UUID, orderRow]
}

func newOrdersModel(u *Unit) Model {
	return &ordersModel{rows: NewTable(u, TableSpec[uuid.UUID, orderRow]{
		Load: func(ctx context.Context, tx *Tx, id uuid.UUID) (orderRow, bool, error) {
			var r orderRow
			row, err := tx.QueryRow(ctx, `SELECT `+orderColumns+` FROM {orders} WHERE order_id = $1`, id.String())
			if err != nil {
				return r, false, err
			}
			found, err := loadRow(row, r.dest()...)
			return r, found, err
		},
		Save: func(ctx context.Context, tx *Tx, id uuid.UUID, r orderRow) error {
			return saveOrder(ctx, tx, id, r, true)
		},
		// (team_id, placed_at) is indexed; the team changes with an offer
		// and its answer, not with the order's later steps.
		Update: func(ctx context.Context, tx *Tx, id uuid.UUID, was, r orderRow) error {
			return saveOrder(ctx, tx, id, r, was.Team != r.Team)
		},
		Insert: &InsertSpec[uuid.UUID, orderRow]{
			Table: "orders", Columns: "order_id, " + orderColumns,
			Args:    func(id uuid.UUID, r orderRow) []any { return r.args(id.String()) },
			Compare: compareUUID,
		},
	})}
}

func (m *ordersModel) Apply(ctx context.Context, tx *Tx, ev *Event) error {
	e, ok := ev.Decoded.(domain.Event)
	if !ok {
		return nil
	}
	if p, ok := e.(domain.OrderPlaced); ok {
		r := orderRow{Status: string(domain.StatusPlaced), Category: string(p.Category), Title: p.Title,
			Resident: p.Resident, Station: p.StationID, Institute: p.InstituteID, PlacedAt: ms(p.PlacedAt),
			Revision: int64(ev.Revision), Position: int64(ev.Position)}
		return m.rows.Put(ctx, tx, p.OrderID, r)
	}
	oe, ok := e.(domain.OrderEvent)
	if !ok {
		return nil // team events
	}
	id := oe.Order()
	r, found, err := m.rows.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if !found {
		return errOrphan(ev, id.String())
	}
	switch x := e.(type) {
	case domain.OrderOffered:
		r.Status, r.Team, r.OfferID = string(domain.StatusOffered), x.TeamID, x.OfferID.String()
		r.OfferExpiresAt, r.OfferedAt = ms(x.ExpiresAt), ms(x.OfferedAt)
		if r.FirstOfferedAt == 0 {
			r.FirstOfferedAt, r.ToFirstOffer = r.OfferedAt, r.OfferedAt-r.PlacedAt
		}
		r.Offers++
		r.Redispatches = r.Offers - 1
	case domain.OfferAccepted:
		r.Status, r.Team, r.AcceptedAt = string(domain.StatusAccepted), x.TeamID, ms(x.AcceptedAt)
		r.OfferID, r.OfferExpiresAt = "", 0
		r.ToAccept = r.AcceptedAt - r.OfferedAt
	case domain.OfferDeclined:
		r.placedAgain()
		r.Declines++
	case domain.OfferExpired:
		r.placedAgain()
		r.Expiries++
	case domain.OfferWithdrawn:
		r.placedAgain()
		r.Withdrawals++
	case domain.OrderEscalated:
		r.Status, r.EscalatedAt, r.EscalationReason = string(domain.StatusEscalated), ms(x.EscalatedAt), x.Reason
	case domain.ServiceStarted:
		r.Status, r.StartedAt = string(domain.StatusInService), ms(x.StartedAt)
	case domain.OrderCompleted:
		r.Status, r.CompletedAt, r.VolunteerHours = string(domain.StatusCompleted), ms(x.CompletedAt), x.VolunteerHours
		if r.AcceptedAt != 0 {
			r.ToComplete = r.CompletedAt - r.AcceptedAt
		}
	case domain.OrderRated:
		r.Status, r.RatedAt, r.Stars = string(domain.StatusRated), ms(x.RatedAt), int64(x.Stars)
	case domain.OrderCancelled:
		r.Status, r.CancelledAt, r.CancelledBy, r.CancelReason = string(domain.StatusCancelled), ms(x.CancelledAt), x.By, x.Reason
		r.OfferID, r.OfferExpiresAt = "", 0
	}
	r.Revision, r.Position = int64(ev.Revision), int64(ev.Position)
	return m.rows.Put(ctx, tx, id, r)
}

// placedAgain: a declined, expired or withdrawn offer returns the order to
// the queue with no team.
func (r *orderRow) placedAgain() {
	r.Status, r.Team, r.OfferID, r.OfferExpiresAt = string(domain.StatusPlaced), "", "", 0
}

// upsertOrder is the orders upsert with and without team_id among the
// columns its update sets (see saveOrder).
var upsertOrder = [2]string{upsertOrderSQL(""), upsertOrderSQL("team_id = excluded.team_id,")}

func upsertOrderSQL(team string) string {
	return `INSERT INTO {orders} (order_id, ` + orderColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30,
		$31, $32, $33, $34)
		ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, ` + team + `
		offer_id = excluded.offer_id, offer_expires_at = excluded.offer_expires_at, offers = excluded.offers,
		declines = excluded.declines, expiries = excluded.expiries, withdrawals = excluded.withdrawals,
		first_offered_at = excluded.first_offered_at, offered_at = excluded.offered_at,
		accepted_at = excluded.accepted_at, started_at = excluded.started_at,
		completed_at = excluded.completed_at, rated_at = excluded.rated_at, cancelled_at = excluded.cancelled_at,
		escalated_at = excluded.escalated_at, escalation_reason = excluded.escalation_reason,
		cancelled_by = excluded.cancelled_by, cancel_reason = excluded.cancel_reason, stars = excluded.stars,
		volunteer_hours = excluded.volunteer_hours, revision = excluded.revision, position = excluded.position,
		to_first_offer_ms = excluded.to_first_offer_ms, to_accept_ms = excluded.to_accept_ms,
		to_complete_ms = excluded.to_complete_ms, redispatches = excluded.redispatches`
}

// saveOrder upserts r; team says whether an existing row's team_id may
// differ from r's and must be set.
func saveOrder(ctx context.Context, tx *Tx, id uuid.UUID, r orderRow, team bool) error {
	q := upsertOrder[0]
	if team {
		q = upsertOrder[1]
	}
	return tx.Exec(ctx, q, r.args(id.String())...)
}
