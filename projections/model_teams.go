package projections

import (
	"context"

	"github.com/google/uuid"
	"strings"

	"github.com/paidan/paidan/domain"
)

// teamRow is one team's board entry. Offered and Accepted are the team's
// current load (pending offers, and accepted orders not yet completed or
// cancelled); the *Total columns count events over the team's life.
type teamRow struct {
	Name, Station, Institute string
	// Skills is the categories, comma-separated and comma-enclosed
	// (",health,legal,") so "has skill c" is skills LIKE '%,c,%'.
	Skills                            string
	Capacity, Active                  int64
	Offered, Accepted                 int64
	OffersTotal, AcceptedTotal        int64
	DeclinedTotal, ExpiredTotal       int64
	WithdrawnTotal, CompletedTotal    int64
	CancelledTotal                    int64
	Ratings, GoodRatings, StarsSum    int64
	RegisteredAt, UpdatedAt, Position int64
}

const teamColumns = `name, station_id, institute_id, skills, capacity, active, offered, accepted, load,
	offers_total, accepted_total, declined_total, expired_total, withdrawn_total, completed_total, cancelled_total,
	ratings, good_ratings, stars_sum, registered_at, updated_at, position`

func (r *teamRow) dest() []any {
	var load int64
	return []any{&r.Name, &r.Station, &r.Institute, &r.Skills, &r.Capacity, &r.Active, &r.Offered, &r.Accepted, &load,
		&r.OffersTotal, &r.AcceptedTotal, &r.DeclinedTotal, &r.ExpiredTotal, &r.WithdrawnTotal, &r.CompletedTotal,
		&r.CancelledTotal, &r.Ratings, &r.GoodRatings, &r.StarsSum, nint{&r.RegisteredAt}, &r.UpdatedAt, &r.Position}
}

// teamOrder remembers which team holds an order and how (offered or
// accepted), so a cancellation or completion lowers the right count.
type teamOrder struct {
	Team  string
	State string // "offered" or "accepted"
}

// TeamsDefinition: the team boards, and the dispatcher's view of availability.
func TeamsDefinition() Definition {
	return Definition{
		Name:   NameTeams,
		Tables: []string{"teams", "team_orders"},
		// Not OrderPlaced, ServiceStarted or OrderEscalated: no team's load
		// or record changes with them.
		Types: []string{domain.EventTypeTeamRegistered, domain.EventTypeTeamUpdated, domain.EventTypeTeamSuspended,
			domain.EventTypeTeamResumed, domain.EventTypeOrderOffered, domain.EventTypeOfferAccepted,
			domain.EventTypeOfferDeclined, domain.EventTypeOfferExpired, domain.EventTypeOfferWithdrawn,
			domain.EventTypeOrderCompleted, domain.EventTypeOrderCancelled, domain.EventTypeOrderRated},
		Migrations: []Migration{{Version: 1, Statements: []string{
			`CREATE TABLE {teams} (
				team_id         TEXT PRIMARY KEY,
				name            TEXT NOT NULL,
				station_id      TEXT NOT NULL,
				institute_id    TEXT NOT NULL,
				skills          TEXT NOT NULL,
				capacity        BIGINT NOT NULL,
				active          BIGINT NOT NULL,
				offered         BIGINT NOT NULL,
				accepted        BIGINT NOT NULL,
				load            BIGINT NOT NULL,
				offers_total    BIGINT NOT NULL,
				accepted_total  BIGINT NOT NULL,
				declined_total  BIGINT NOT NULL,
				expired_total   BIGINT NOT NULL,
				withdrawn_total BIGINT NOT NULL,
				completed_total BIGINT NOT NULL,
				cancelled_total BIGINT NOT NULL,
				ratings         BIGINT NOT NULL,
				good_ratings    BIGINT NOT NULL,
				stars_sum       BIGINT NOT NULL,
				registered_at   BIGINT,
				updated_at      BIGINT NOT NULL,
				position        BIGINT NOT NULL
			)`,
			`CREATE INDEX {teams}_station ON {teams} (station_id)`,
			`CREATE INDEX {teams}_institute ON {teams} (institute_id)`,
			`CREATE TABLE {team_orders} (
				order_id TEXT PRIMARY KEY,
				team_id  TEXT NOT NULL,
				state    TEXT NOT NULL
			)` + WithoutRowID,
		}}},
		New: newTeamsModel,
	}
}

type teamsModel struct {
	teams  *Table[string, teamRow]
	orders *Table[uuid.UUID, teamOrder]
}

func newTeamsModel(u *Unit) Model {
	return &teamsModel{
		teams: NewTable(u, TableSpec[string, teamRow]{
			Load: func(ctx context.Context, tx *Tx, id string) (teamRow, bool, error) {
				var r teamRow
				row, err := tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM {teams} WHERE team_id = $1`, id)
				if err != nil {
					return r, false, err
				}
				found, err := loadRow(row, r.dest()...)
				return r, found, err
			},
			Save: func(ctx context.Context, tx *Tx, id string, r teamRow) error {
				return saveTeam(ctx, tx, id, r, true)
			},
			// A team's counters change with every offer, answer and rating;
			// its station, whose two indexes an update setting them would
			// rewrite, almost never does.
			Update: func(ctx context.Context, tx *Tx, id string, was, r teamRow) error {
				return saveTeam(ctx, tx, id, r, was.Station != r.Station || was.Institute != r.Institute)
			},
		}),
		orders: NewTable(u, TableSpec[uuid.UUID, teamOrder]{
			Load: func(ctx context.Context, tx *Tx, id uuid.UUID) (teamOrder, bool, error) {
				var o teamOrder
				row, err := tx.QueryRow(ctx, `SELECT team_id, state FROM {team_orders} WHERE order_id = $1`, id.String())
				if err != nil {
					return o, false, err
				}
				found, err := loadRow(row, &o.Team, &o.State)
				return o, found, err
			},
			Save: func(ctx context.Context, tx *Tx, id uuid.UUID, o teamOrder) error {
				return tx.Exec(ctx, `INSERT INTO {team_orders} (order_id, team_id, state) VALUES ($1, $2, $3)
					ON CONFLICT (order_id) DO UPDATE SET team_id = excluded.team_id, state = excluded.state`, id.String(), o.Team, o.State)
			},
			Insert: &InsertSpec[uuid.UUID, teamOrder]{
				Table: "team_orders", Columns: "order_id, team_id, state",
				Args:    func(id uuid.UUID, o teamOrder) []any { return []any{id.String(), o.Team, o.State} },
				Compare: compareUUID,
			},
			Delete: func(ctx context.Context, tx *Tx, id uuid.UUID) error {
				return tx.Exec(ctx, `DELETE FROM {team_orders} WHERE order_id = $1`, id.String())
			},
		}),
	}
}

func skillsText(cs []domain.Category) string {
	var b strings.Builder
	b.WriteByte(',')
	for _, c := range cs {
		b.WriteString(string(c))
		b.WriteByte(',')
	}
	return b.String()
}

func (m *teamsModel) Apply(ctx context.Context, tx *Tx, ev *Event) error {
	e, ok := ev.Decoded.(domain.Event)
	if !ok {
		return nil
	}
	switch x := e.(type) {
	case domain.TeamRegistered:
		return m.profile(ctx, tx, ev, x.TeamID, x.TeamProfile, 1, ms(x.RegisteredAt), ms(x.RegisteredAt))
	case domain.TeamUpdated:
		return m.profile(ctx, tx, ev, x.TeamID, x.TeamProfile, -1, 0, ms(x.UpdatedAt))
	case domain.TeamSuspended:
		return m.profile(ctx, tx, ev, x.TeamID, x.TeamProfile, 0, 0, ms(x.SuspendedAt))
	case domain.TeamResumed:
		return m.profile(ctx, tx, ev, x.TeamID, x.TeamProfile, 1, 0, ms(x.ResumedAt))
	case domain.OrderOffered:
		if err := m.orders.Put(ctx, tx, x.OrderID, teamOrder{Team: x.TeamID, State: "offered"}); err != nil {
			return err
		}
		return m.change(ctx, tx, ev, x.TeamID, ms(x.OfferedAt), func(r *teamRow) { r.Offered++; r.OffersTotal++ })
	case domain.OfferAccepted:
		if err := m.orders.Put(ctx, tx, x.OrderID, teamOrder{Team: x.TeamID, State: "accepted"}); err != nil {
			return err
		}
		return m.change(ctx, tx, ev, x.TeamID, ms(x.AcceptedAt), func(r *teamRow) { r.Offered--; r.Accepted++; r.AcceptedTotal++ })
	case domain.OfferDeclined:
		return m.release(ctx, tx, ev, x.OrderID, x.TeamID, ms(x.DeclinedAt), func(r *teamRow) { r.DeclinedTotal++ })
	case domain.OfferExpired:
		return m.release(ctx, tx, ev, x.OrderID, x.TeamID, ms(x.ExpiredAt), func(r *teamRow) { r.ExpiredTotal++ })
	case domain.OfferWithdrawn:
		return m.release(ctx, tx, ev, x.OrderID, x.TeamID, ms(x.WithdrawnAt), func(r *teamRow) { r.WithdrawnTotal++ })
	case domain.OrderCompleted:
		return m.release(ctx, tx, ev, x.OrderID, x.TeamID, ms(x.CompletedAt), func(r *teamRow) { r.CompletedTotal++ })
	case domain.OrderCancelled:
		if x.TeamID == "" {
			return nil
		}
		return m.release(ctx, tx, ev, x.OrderID, x.TeamID, ms(x.CancelledAt), func(r *teamRow) { r.CancelledTotal++ })
	case domain.OrderRated:
		return m.change(ctx, tx, ev, x.TeamID, ms(x.RatedAt), func(r *teamRow) {
			r.Ratings++
			r.StarsSum += int64(x.Stars)
			if x.Stars >= 4 {
				r.GoodRatings++
			}
		})
	}
	return nil
}

// profile applies a team event's full profile; active < 0 keeps the state.
func (m *teamsModel) profile(ctx context.Context, tx *Tx, ev *Event, id string, p domain.TeamProfile, active, registered, at int64) error {
	r, _, err := m.teams.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	r.Name, r.Station, r.Institute, r.Skills, r.Capacity = p.Name, p.StationID, p.InstituteID, skillsText(p.Skills), int64(p.Capacity)
	if active >= 0 {
		r.Active = active
	}
	if registered != 0 {
		r.RegisteredAt = registered
	}
	r.UpdatedAt, r.Position = at, int64(ev.Position)
	return m.teams.Put(ctx, tx, id, r)
}

func (m *teamsModel) change(ctx context.Context, tx *Tx, ev *Event, id string, at int64, f func(*teamRow)) error {
	r, found, err := m.teams.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if !found {
		return errOrphan(ev, "team "+id)
	}
	f(&r)
	r.UpdatedAt, r.Position = at, int64(ev.Position)
	return m.teams.Put(ctx, tx, id, r)
}

// release ends a team's hold on an order, lowering the load count the hold
// was in.
func (m *teamsModel) release(ctx context.Context, tx *Tx, ev *Event, order uuid.UUID, team string, at int64, f func(*teamRow)) error {
	held, found, err := m.orders.Get(ctx, tx, order)
	if err != nil {
		return err
	}
	if err := m.orders.Delete(ctx, tx, order); err != nil {
		return err
	}
	return m.change(ctx, tx, ev, team, at, func(r *teamRow) {
		if found && held.Team == team {
			if held.State == "accepted" {
				r.Accepted--
			} else {
				r.Offered--
			}
		}
		f(r)
	})
}

// upsertTeam is the teams upsert without and with station_id and
// institute_id among the columns its update sets.
var upsertTeam = [2]string{upsertTeamSQL(""), upsertTeamSQL("station_id = excluded.station_id, institute_id = excluded.institute_id,")}

func upsertTeamSQL(place string) string {
	return `INSERT INTO {teams} (team_id, ` + teamColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
		$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		ON CONFLICT (team_id) DO UPDATE SET name = excluded.name, ` + place + `
		skills = excluded.skills, capacity = excluded.capacity,
		active = excluded.active, offered = excluded.offered, accepted = excluded.accepted, load = excluded.load,
		offers_total = excluded.offers_total, accepted_total = excluded.accepted_total,
		declined_total = excluded.declined_total, expired_total = excluded.expired_total,
		withdrawn_total = excluded.withdrawn_total, completed_total = excluded.completed_total,
		cancelled_total = excluded.cancelled_total, ratings = excluded.ratings,
		good_ratings = excluded.good_ratings, stars_sum = excluded.stars_sum,
		registered_at = excluded.registered_at, updated_at = excluded.updated_at, position = excluded.position`
}

// saveTeam upserts r; place says whether an existing row's station and
// institute may differ from r's and must be set.
func saveTeam(ctx context.Context, tx *Tx, id string, r teamRow, place bool) error {
	q := upsertTeam[0]
	if place {
		q = upsertTeam[1]
	}
	return tx.Exec(ctx, q, id, r.Name, r.Station, r.Institute, r.Skills, r.Capacity, r.Active, r.Offered, r.Accepted,
		r.Offered+r.Accepted, r.OffersTotal, r.AcceptedTotal, r.DeclinedTotal, r.ExpiredTotal, r.WithdrawnTotal,
		r.CompletedTotal, r.CancelledTotal, r.Ratings, r.GoodRatings, r.StarsSum, null(r.RegisteredAt),
		r.UpdatedAt, r.Position)
}
