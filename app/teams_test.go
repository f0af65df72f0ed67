package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// BenchmarkLogTeams measures one Teams call over the demo district's 1,871
// teams with nothing new in the log: the cost every automatic offer pays.
func BenchmarkLogTeams(b *testing.B) {
	f := newFixture(b, app.Config{})
	ctx := context.Background()
	for i := range domain.DemoTeamCount {
		f.team(fmt.Sprintf("t%04d", i), i%len(f.dir.Stations()), 10, domain.CategoryErrand, domain.CategoryHealth)
	}
	src, err := app.NewLogTeams(f.mem)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := src.Teams(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Teams(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLogTeamsCopiesAndOrder: teams registered out of id order come back
// sorted, across calls and after later registrations; a caller changing
// what Teams returned changes nothing for the next caller; ViewTeams lends
// the same teams Teams copies.
func TestLogTeamsCopiesAndOrder(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	src, err := app.NewLogTeams(f.mem)
	if err != nil {
		t.Fatal(err)
	}
	f.team("m", 0, 3, domain.CategoryErrand)
	f.team("c", 1, 2, domain.CategoryErrand, domain.CategoryHealth)
	ids := func(ts []domain.TeamSnapshot) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.TeamID)
		}
		return out
	}
	tests := []struct {
		name     string
		register string
		want     []string
	}{
		{"first call", "", []string{"c", "m"}},
		{"a team after the first call, last by id", "z", []string{"c", "m", "z"}},
		{"a team after the first call, first by id", "a", []string{"a", "c", "m", "z"}},
	}
	for _, tt := range tests {
		if tt.register != "" {
			f.team(tt.register, 2, 1, domain.CategoryLegal)
		}
		got, err := src.Teams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint(tt.want) {
			t.Fatalf("%s: Teams returned %v; want %v", tt.name, ids(got), tt.want)
		}
		// The caller owns what it got.
		for i := range got {
			got[i].Load = 99
			for j := range got[i].Skills {
				got[i].Skills[j] = "scribbled"
			}
		}
		var lent []domain.TeamSnapshot
		if err := src.ViewTeams(ctx, func(ts []domain.TeamSnapshot) {
			for _, s := range ts {
				s.Skills = append([]domain.Category(nil), s.Skills...)
				lent = append(lent, s)
			}
		}); err != nil {
			t.Fatal(err)
		}
		again, err := src.Teams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(again) != fmt.Sprint(lent) {
			t.Fatalf("%s: ViewTeams lent %+v; Teams copied %+v", tt.name, lent, again)
		}
		for _, s := range again {
			if s.Load != 0 || len(s.Skills) == 0 || s.Skills[0] == "scribbled" {
				t.Fatalf("%s: a caller's changes to its copy reached the source: %+v", tt.name, s)
			}
		}
	}
}

// BenchmarkLogTeamsRank measures automatic dispatch's ranking over the teams
// LogTeams lends: 1,871 teams whose skills were decoded from the log.
func BenchmarkLogTeamsRank(b *testing.B) {
	f := newFixture(b, app.Config{})
	ctx := context.Background()
	cats := domain.Categories()
	for i := range domain.DemoTeamCount {
		f.team(fmt.Sprintf("t%04d", i), i%len(f.dir.Stations()), 10, cats[i%len(cats)], cats[(i+3)%len(cats)], cats[(i+5)%len(cats)])
	}
	src, err := app.NewLogTeams(f.mem)
	if err != nil {
		b.Fatal(err)
	}
	st := f.station(0)
	order := domain.DispatchOrder{Category: domain.Category(string([]byte(domain.CategoryHealth))), StationID: st.ID, InstituteID: st.InstituteID}
	b.ReportAllocs()
	for b.Loop() {
		var d domain.DispatchDecision
		if err := src.ViewTeams(ctx, func(ts []domain.TeamSnapshot) { d = domain.RankTeamsSummary(order, ts, domain.DecisionRecordLimit) }); err != nil {
			b.Fatal(err)
		}
		if d.CandidateCount == 0 {
			b.Fatal("no candidates")
		}
	}
}
