package app_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// TestViewTeamsForRanksLikeViewTeams: the per-category index gives the same
// decision as ranking every team, through registrations out of id order,
// a suspension, a change of skills and a resumption.
func TestViewTeamsForRanksLikeViewTeams(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	src, err := app.NewLogTeams(f.mem)
	if err != nil {
		t.Fatal(err)
	}
	st := f.station(0)
	check := func(step string) {
		t.Helper()
		for _, c := range []domain.Category{domain.CategoryErrand, domain.CategoryHealth, domain.CategoryLegal} {
			order := domain.DispatchOrder{Category: c, StationID: st.ID, InstituteID: st.InstituteID}
			var want, got domain.DispatchDecision
			if err := src.ViewTeams(ctx, func(ts []domain.TeamSnapshot) { want = domain.RankTeamsSummary(order, ts, 5) }); err != nil {
				t.Fatal(err)
			}
			if err := src.ViewTeamsFor(ctx, c, func(ts []domain.TeamSnapshot, among []int32, lacking int) {
				got = domain.RankTeamsSummaryAmong(order, ts, among, lacking, 5)
			}); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, %s: indexed ranking\n%#v\nfull ranking\n%#v", step, c, got, want)
			}
		}
	}
	f.team("m", 0, 3, domain.CategoryErrand)
	f.team("c", 1, 2, domain.CategoryErrand, domain.CategoryHealth)
	check("two teams")
	f.team("a", 0, 2, domain.CategoryHealth)
	f.team("z", 2, 2, domain.CategoryLegal)
	check("registered out of order")
	if _, err := f.other.SuspendTeam(ctx, app.SuspendTeam{Envelope: as(coordinator), TeamID: "a", Reason: "培训"}); err != nil {
		t.Fatal(err)
	}
	check("a suspended")
	if _, err := f.other.UpdateTeam(ctx, app.UpdateTeam{Envelope: as(coordinator), TeamID: "m",
		Spec: domain.TeamSpec{Name: "队 m", StationID: st.ID, Skills: []domain.Category{domain.CategoryLegal}, Capacity: 3}}); err != nil {
		t.Fatal(err)
	}
	check("m changed skills")
	if _, err := f.other.ResumeTeam(ctx, app.ResumeTeam{Envelope: as(coordinator), TeamID: "a"}); err != nil {
		t.Fatal(err)
	}
	check("a resumed")
}

// BenchmarkLogTeamsRankFor is BenchmarkLogTeamsRank through the per-category
// index automatic dispatch uses.
func BenchmarkLogTeamsRankFor(b *testing.B) {
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
	order := domain.DispatchOrder{Category: domain.CategoryHealth, StationID: st.ID, InstituteID: st.InstituteID}
	b.ReportAllocs()
	for b.Loop() {
		var d domain.DispatchDecision
		if err := src.ViewTeamsFor(ctx, order.Category, func(ts []domain.TeamSnapshot, among []int32, lacking int) {
			d = domain.RankTeamsSummaryAmong(order, ts, among, lacking, domain.DecisionRecordLimit)
		}); err != nil {
			b.Fatal(err)
		}
		if d.CandidateCount == 0 {
			b.Fatal("no candidates")
		}
	}
}
