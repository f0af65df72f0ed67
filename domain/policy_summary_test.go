package domain_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/paidan/paidan/domain"
)

// TestRankTeamsSummaryMatchesRankTeams: for any teams, order and record
// size, the summary ranking equals the full ranking's Summary, nil lists
// and empty lists alike (they encode differently in an OrderOffered).
func TestRankTeamsSummaryMatchesRankTeams(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		stations := []struct{ station, institute string }{{"s1", "i1"}, {"s2", "i1"}, {"s3", "i2"}, {"s4", "i3"}}
		cats := domain.Categories()[:3]
		n := rapid.IntRange(0, 40).Draw(t, "teams")
		teams := make([]domain.TeamSnapshot, n)
		ids := make([]int, n)
		for i := range ids {
			ids[i] = i
		}
		for i, p := range rapid.Permutation(ids).Draw(t, "ids") {
			st := stations[rapid.IntRange(0, len(stations)-1).Draw(t, "station")]
			var skills []domain.Category
			for _, c := range cats {
				if rapid.Bool().Draw(t, "skill") {
					skills = append(skills, c)
				}
			}
			ratings := rapid.IntRange(0, 5).Draw(t, "ratings")
			teams[i] = domain.TeamSnapshot{TeamID: fmt.Sprintf("t%02d", p), StationID: st.station, InstituteID: st.institute,
				Skills: skills, Capacity: rapid.IntRange(1, 3).Draw(t, "capacity"), Load: rapid.IntRange(0, 3).Draw(t, "load"),
				Active: rapid.IntRange(0, 5).Draw(t, "active") > 0, Ratings: ratings, GoodRatings: rapid.IntRange(0, ratings).Draw(t, "good")}
		}
		st := stations[rapid.IntRange(0, len(stations)-1).Draw(t, "order station")]
		order := domain.DispatchOrder{Category: cats[rapid.IntRange(0, len(cats)-1).Draw(t, "category")],
			StationID: st.station, InstituteID: st.institute}
		for range rapid.IntRange(0, 3).Draw(t, "refused") {
			order.Refused = append(order.Refused, fmt.Sprintf("t%02d", rapid.IntRange(0, 40).Draw(t, "refused id")))
		}
		size := rapid.IntRange(0, 12).Draw(t, "record size")
		want := domain.RankTeams(order, teams).Summary(size)
		got := domain.RankTeamsSummary(order, teams, size)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("RankTeamsSummary(%d):\n%#v\nRankTeams().Summary(%d):\n%#v", size, got, size, want)
		}
		// Indexed by skill: the teams sorted by id, the index those with the
		// category or suspended.
		sorted := slices.Clone(teams)
		slices.SortFunc(sorted, func(a, b domain.TeamSnapshot) int { return strings.Compare(a.TeamID, b.TeamID) })
		var among []int32
		for i, tm := range sorted {
			if !tm.Active || slices.Contains(tm.Skills, order.Category) {
				among = append(among, int32(i))
			}
		}
		if got := domain.RankTeamsSummaryAmong(order, sorted, among, len(sorted)-len(among), size); !reflect.DeepEqual(got, want) {
			t.Fatalf("RankTeamsSummaryAmong(%d):\n%#v\nRankTeams().Summary(%d):\n%#v", size, got, size, want)
		}
	})
}

func BenchmarkRankTeamsSummaryDistrict(b *testing.B) {
	teams := districtTeams()
	order := domain.DispatchOrder{Category: domain.CategoryErrand, StationID: "zhongguancun-003", InstituteID: "zhongguancun",
		Refused: []string{"team-0003", "team-0006"}}
	b.ReportAllocs()
	for b.Loop() {
		d := domain.RankTeamsSummary(order, teams, domain.DecisionRecordLimit)
		if d.CandidateCount == 0 {
			b.Fatal("no candidates")
		}
	}
}
