package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// TestTeamMovedKeepsItsIndexesRight: the teams model leaves a team's
// station and institute out of its updates unless they changed; a team that
// moves is found at its new station through the station index, and no
// longer at the old one, while its counters keep changing around the move.
func TestTeamMovedKeepsItsIndexesRight(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		ctx := context.Background()
		s, v := newMemstore(t), open(t)
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		profile := domain.TeamProfile{Name: "t", StationID: "st-a", InstituteID: "in-a",
			Skills: []domain.Category{domain.CategoryErrand}, Capacity: 3}
		order := uuid.New()
		var last eventstore.Position
		put := func(stream string, e domain.Event) {
			t.Helper()
			typ, data, err := domain.MarshalEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			md, err := domain.NewMetadata(typ, domain.Actor{Subject: "test", Role: domain.RoleSystem}, uuid.NewString(), "", "").Marshal()
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Append(ctx, stream, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, Metadata: md})
			if err != nil {
				t.Fatal(err)
			}
			last = res.Position
		}
		p := readModelPipeline(t, s, v, projections.PipelineConfig{})
		runPipeline(t, p)
		team := domain.TeamStream("team-1")
		put(team, domain.TeamRegistered{TeamID: "team-1", TeamProfile: profile, By: "c", RegisteredAt: now})
		put(domain.OrderStream(order), domain.OrderOffered{OrderID: order, OfferID: uuid.New(), TeamID: "team-1",
			OfferedAt: now, Category: domain.CategoryErrand, StationID: "st-a", InstituteID: "in-a"})
		waitFor(t, p, last) // committed: the next update changes only counters
		moved := profile
		moved.StationID, moved.InstituteID = "st-b", "in-b"
		put(team, domain.TeamUpdated{TeamID: "team-1", TeamProfile: moved, By: "c", UpdatedAt: now})
		put(domain.OrderStream(order), domain.OfferAccepted{OrderID: order, TeamID: "team-1", AcceptedAt: now})
		waitFor(t, p, last)
		for _, c := range []struct {
			where, key string
			want       int
		}{{"station_id", "st-a", 0}, {"station_id", "st-b", 1}, {"institute_id", "in-a", 0}, {"institute_id", "in-b", 1}} {
			var n int
			q := `SELECT COUNT(*) FROM teams INDEXED BY teams_station WHERE station_id = $1`
			if c.where == "institute_id" {
				q = `SELECT COUNT(*) FROM teams INDEXED BY teams_institute WHERE institute_id = $1`
			}
			if v.Dialect() == projections.Postgres {
				q = `SELECT COUNT(*) FROM teams WHERE ` + c.where + ` = $1`
			}
			if err := v.DB().QueryRowContext(ctx, q, c.key).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("teams with %s = %s: %d; want %d", c.where, c.key, n, c.want)
			}
		}
		var accepted int
		if err := v.DB().QueryRowContext(ctx, `SELECT accepted FROM teams WHERE team_id = 'team-1'`).Scan(&accepted); err != nil || accepted != 1 {
			t.Fatalf("accepted = %d (%v); want 1", accepted, err)
		}
	})
}
