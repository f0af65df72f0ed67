package projections

import (
	"context"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// queueRow is an order still being worked on: placed, offered, escalated,
// accepted or in service. Completed and cancelled orders leave the queue.
type queueRow struct {
	Status, Category, Station, Institute, Team string
	// Rank orders the queue: 0 for escalated orders (on top), 1 otherwise.
	Rank                              int64
	PlacedAt, SinceAt, OfferExpiresAt int64
	AcceptedAt                        int64
	EscalationReason                  string
	Position                          int64
}

const queueColumns = `status, category, station_id, institute_id, team_id, rank, placed_at, since_at,
	offer_expires_at, accepted_at, escalation_reason, position`

func (r *queueRow) dest() []any {
	return []any{&r.Status, &r.Category, &r.Station, &r.Institute, nstr{&r.Team}, &r.Rank, &r.PlacedAt,
		&r.SinceAt, nint{&r.OfferExpiresAt}, nint{&r.AcceptedAt}, nstr{&r.EscalationReason}, &r.Position}
}

func (r *queueRow) args(id string) []any {
	return []any{id, r.Status, r.Category, r.Station, r.Institute, nullStr(r.Team), r.Rank, r.PlacedAt, r.SinceAt,
		null(r.OfferExpiresAt), null(r.AcceptedAt), nullStr(r.EscalationReason), r.Position}
}

// queueChange is one entry of the change feed, keyed by the position of the
// event that caused it: ids increase with the log, so SSE clients resume
// with Last-Event-ID.
type queueChange struct {
	OrderID uuid.UUID
	// Op is "upsert" (Row holds the new row) or "delete" (the order left the queue).
	Op        string
	Row       queueRow
	ChangedAt int64
}

// queueChangesKept is how many changes the feed retains; a client resuming
// from an older id reloads the queue instead.
const queueChangesKept = 10_000

// The feed's floor: the feed holds every change with an id above it, so a
// client whose last id (a change's, or any position it read the queue at) is
// at or above the floor misses nothing, and one below it must reload. It is
// kept in queue_changes as the row with id 0 and op "floor", the position in
// changed_at (no change has id 0: positions start at 1). Trimming raises it
// to the newest change dropped; a rebuild, whose feed starts empty, sets it
// to the last queue change it replayed. No row means nothing was lost.
const (
	feedFloorID = 0
	opFloor     = "floor"
)

// QueueDefinition: the coordinators' live queue and its change feed.
func QueueDefinition() Definition {
	return Definition{
		Name:   NameQueue,
		Tables: []string{"queue", "queue_changes"},
		// Every order event but OrderRated: a rated order has left the queue.
		Types: []string{domain.EventTypeOrderPlaced, domain.EventTypeOrderOffered, domain.EventTypeOfferAccepted,
			domain.EventTypeOfferDeclined, domain.EventTypeOfferExpired, domain.EventTypeOfferWithdrawn,
			domain.EventTypeOrderEscalated, domain.EventTypeServiceStarted, domain.EventTypeOrderCompleted,
			domain.EventTypeOrderCancelled},
		Migrations: []Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {queue} (
				order_id          TEXT PRIMARY KEY,
				status            TEXT NOT NULL,
				category          TEXT NOT NULL,
				station_id        TEXT NOT NULL,
				institute_id      TEXT NOT NULL,
				team_id           TEXT,
				rank              BIGINT NOT NULL,
				placed_at         BIGINT NOT NULL,
				since_at          BIGINT NOT NULL,
				offer_expires_at  BIGINT,
				accepted_at       BIGINT,
				escalation_reason TEXT,
				position          BIGINT NOT NULL
			)`,
			`CREATE INDEX {queue}_order ON {queue} (rank, placed_at, order_id)`,
			`CREATE INDEX {queue}_station ON {queue} (station_id, rank, placed_at)`,
			`CREATE INDEX {queue}_institute ON {queue} (institute_id, rank, placed_at)`,
			`CREATE TABLE {queue_changes} (
				id                BIGINT PRIMARY KEY,
				order_id          TEXT NOT NULL,
				op                TEXT NOT NULL,
				status            TEXT,
				category          TEXT,
				station_id        TEXT,
				institute_id      TEXT,
				team_id           TEXT,
				rank              BIGINT,
				placed_at         BIGINT,
				since_at          BIGINT,
				offer_expires_at  BIGINT,
				accepted_at       BIGINT,
				escalation_reason TEXT,
				changed_at        BIGINT NOT NULL
			)`,
		}}, {Version: 2, Statements: []string{
			// A feed kept before the floor existed may have been trimmed or
			// rebuilt: assume everything before its oldest change was lost,
			// which is how its readers treated it until now.
			`INSERT INTO {queue_changes} (id, order_id, op, changed_at)
				SELECT 0, '', 'floor', MIN(id) - 1 FROM {queue_changes} WHERE id > 0 HAVING COUNT(*) > 0`,
		}}},
		New: newQueueModel,
	}
}

type queueModel struct {
	u       *Unit
	rows    *Table[uuid.UUID, queueRow]
	changes *Table[int64, queueChange]
}

func newQueueModel(u *Unit) Model {
	m := &queueModel{u: u}
	m.rows = NewTable(u, TableSpec[uuid.UUID, queueRow]{
		Load: func(ctx context.Context, tx *Tx, id uuid.UUID) (queueRow, bool, error) {
			var r queueRow
			row, err := tx.QueryRow(ctx, `SELECT `+queueColumns+` FROM {queue} WHERE order_id = $1`, id.String())
			if err != nil {
				return r, false, err
			}
			found, err := loadRow(row, r.dest()...)
			return r, found, err
		},
		Save: func(ctx context.Context, tx *Tx, id uuid.UUID, r queueRow) error {
			return tx.Exec(ctx, upsertQueue[1], r.args(id.String())...)
		},
		// Each of the queue's three indexes leads with or holds rank, which
		// changes only when an order is escalated or offered again.
		Update: func(ctx context.Context, tx *Tx, id uuid.UUID, was, r queueRow) error {
			q := upsertQueue[0]
			if was.Rank != r.Rank {
				q = upsertQueue[1]
			}
			return tx.Exec(ctx, q, r.args(id.String())...)
		},
		Insert: &InsertSpec[uuid.UUID, queueRow]{
			Table: "queue", Columns: "order_id, " + queueColumns,
			Args:    func(id uuid.UUID, r queueRow) []any { return r.args(id.String()) },
			Compare: compareUUID,
		},
		Delete: func(ctx context.Context, tx *Tx, id uuid.UUID) error {
			return tx.Exec(ctx, `DELETE FROM {queue} WHERE order_id = $1`, id.String())
		},
	})
	m.changes = NewTable(u, TableSpec[int64, queueChange]{
		// Changes are only ever appended; none is read back.
		Load: func(context.Context, *Tx, int64) (queueChange, bool, error) { return queueChange{}, false, nil },
		Save: func(ctx context.Context, tx *Tx, id int64, c queueChange) error {
			r := c.Row
			if c.Op == opFloor {
				return tx.Exec(ctx, `INSERT INTO {queue_changes} (id, order_id, op, changed_at) VALUES ($1, '', $2, $3)
					ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at`, feedFloorID, opFloor, c.ChangedAt)
			}
			if c.Op == "delete" {
				if err := tx.Exec(ctx, `INSERT INTO {queue_changes} (id, order_id, op, changed_at) VALUES ($1, $2, $3, $4)
					ON CONFLICT (id) DO NOTHING`, id, c.OrderID.String(), c.Op, c.ChangedAt); err != nil {
					return err
				}
			} else if err := tx.Exec(ctx, `INSERT INTO {queue_changes} (id, order_id, op, `+queueColumns[:len(queueColumns)-len(", position")]+`, changed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING`,
				id, c.OrderID.String(), c.Op, r.Status, r.Category, r.Station, r.Institute, nullStr(r.Team), r.Rank, r.PlacedAt,
				r.SinceAt, null(r.OfferExpiresAt), null(r.AcceptedAt), nullStr(r.EscalationReason), c.ChangedAt); err != nil {
				return err
			}
			if id%256 != 0 {
				return nil
			}
			// Raise the floor to the newest change about to be dropped, then drop.
			if err := tx.Exec(ctx, `INSERT INTO {queue_changes} (id, order_id, op, changed_at)
				SELECT $1, '', $2, MAX(id) FROM {queue_changes} WHERE id > 0 AND id < (SELECT MIN(id) FROM
					(SELECT id FROM {queue_changes} WHERE id > 0 ORDER BY id DESC LIMIT $3) AS kept)
				HAVING COUNT(*) > 0
				ON CONFLICT (id) DO UPDATE SET changed_at = excluded.changed_at`, feedFloorID, opFloor, queueChangesKept); err != nil {
				return err
			}
			return tx.Exec(ctx, `DELETE FROM {queue_changes} WHERE id > 0 AND id < (SELECT MIN(id) FROM
				(SELECT id FROM {queue_changes} WHERE id > 0 ORDER BY id DESC LIMIT $1) AS kept)`, queueChangesKept)
		},
	})
	return m
}

func (m *queueModel) Apply(ctx context.Context, tx *Tx, ev *Event) error {
	e, ok := ev.Decoded.(domain.Event)
	if !ok {
		return nil
	}
	if p, ok := e.(domain.OrderPlaced); ok {
		at := ms(p.PlacedAt)
		return m.put(ctx, tx, ev, p.OrderID, queueRow{Status: string(domain.StatusPlaced),
			Category: string(p.Category), Station: p.StationID, Institute: p.InstituteID, Rank: 1,
			PlacedAt: at, SinceAt: at})
	}
	oe, ok := e.(domain.OrderEvent)
	if !ok {
		return nil // team events do not change the queue
	}
	id := oe.Order()
	switch e.(type) {
	case domain.OrderRated:
		return nil // ratings do not change the queue
	case domain.OrderCompleted, domain.OrderCancelled:
		return m.remove(ctx, tx, ev, id)
	}
	r, found, err := m.rows.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if !found {
		return errOrphan(ev, id.String())
	}
	switch x := e.(type) {
	case domain.OrderOffered:
		r.Status, r.Team, r.SinceAt, r.OfferExpiresAt, r.Rank = string(domain.StatusOffered), x.TeamID, ms(x.OfferedAt), ms(x.ExpiresAt), 1
		r.EscalationReason = ""
	case domain.OfferAccepted:
		r.Status, r.Team, r.SinceAt, r.AcceptedAt, r.OfferExpiresAt = string(domain.StatusAccepted), x.TeamID, ms(x.AcceptedAt), ms(x.AcceptedAt), 0
	case domain.OfferDeclined:
		r.waitAgain(ms(x.DeclinedAt))
	case domain.OfferExpired:
		r.waitAgain(ms(x.ExpiredAt))
	case domain.OfferWithdrawn:
		r.waitAgain(ms(x.WithdrawnAt))
	case domain.OrderEscalated:
		r.Status, r.SinceAt, r.Rank, r.EscalationReason = string(domain.StatusEscalated), ms(x.EscalatedAt), 0, x.Reason
	case domain.ServiceStarted:
		r.Status, r.SinceAt = string(domain.StatusInService), ms(x.StartedAt)
	}
	return m.put(ctx, tx, ev, id, r)
}

func (r *queueRow) waitAgain(at int64) {
	r.Status, r.Team, r.SinceAt, r.OfferExpiresAt = string(domain.StatusPlaced), "", at, 0
}

func (m *queueModel) put(ctx context.Context, tx *Tx, ev *Event, id uuid.UUID, r queueRow) error {
	r.Position = int64(ev.Position)
	if err := m.rows.Put(ctx, tx, id, r); err != nil {
		return err
	}
	if m.u.Rebuilding() {
		return m.raiseFloor(ctx, tx, ev)
	}
	return m.changes.Put(ctx, tx, int64(ev.Position), queueChange{OrderID: id, Op: "upsert", Row: r, ChangedAt: ms(ev.Created)})
}

// raiseFloor records, during a rebuild, that the rebuilt feed (which starts
// empty) lacks the change ev made: clients that have not seen it reload the
// queue. The row is cached, so a rebuild writes it once per batch.
func (m *queueModel) raiseFloor(ctx context.Context, tx *Tx, ev *Event) error {
	return m.changes.Put(ctx, tx, feedFloorID, queueChange{Op: opFloor, ChangedAt: int64(ev.Position)})
}

func (m *queueModel) remove(ctx context.Context, tx *Tx, ev *Event, id uuid.UUID) error {
	_, found, err := m.rows.Get(ctx, tx, id)
	if err != nil || !found {
		return err // an order leaves the queue once; a later event changes nothing
	}
	if err := m.rows.Delete(ctx, tx, id); err != nil {
		return err
	}
	if m.u.Rebuilding() {
		return m.raiseFloor(ctx, tx, ev)
	}
	return m.changes.Put(ctx, tx, int64(ev.Position), queueChange{OrderID: id, Op: "delete", ChangedAt: ms(ev.Created)})
}

// upsertQueue is the queue's upsert without and with rank among the columns
// its update sets.
var upsertQueue = [2]string{upsertQueueSQL(""), upsertQueueSQL("rank = excluded.rank,")}

func upsertQueueSQL(rank string) string {
	return `INSERT INTO {queue} (order_id, ` + queueColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, team_id = excluded.team_id,
		` + rank + ` since_at = excluded.since_at, offer_expires_at = excluded.offer_expires_at,
		accepted_at = excluded.accepted_at, escalation_reason = excluded.escalation_reason,
		position = excluded.position`
}
