package domain_test

import (
	"fmt"
	"testing"

	"github.com/paidan/paidan/domain"
)

// districtTeams is a district-sized team list (1,871 teams over the demo
// stations, a third of them serving errands), for the dispatch benchmark.
func districtTeams() []domain.TeamSnapshot {
	stations := domain.DemoDirectory().Stations()
	teams := make([]domain.TeamSnapshot, 1871)
	for i := range teams {
		st := stations[i*7%len(stations)]
		skills := []domain.Category{domain.Categories()[i%8]}
		if i%3 == 0 {
			skills = append(skills, domain.CategoryErrand)
		}
		teams[i] = domain.TeamSnapshot{TeamID: fmt.Sprintf("team-%04d", i), StationID: st.ID, InstituteID: st.InstituteID,
			Skills: skills, Capacity: 1 + i%5, Load: i % 4, Active: i%50 != 0, Ratings: i % 30, GoodRatings: i % 30 * 9 / 10}
	}
	return teams
}

func BenchmarkRankTeamsDistrict(b *testing.B) {
	teams := districtTeams()
	order := domain.DispatchOrder{Category: domain.CategoryErrand, StationID: "zhongguancun-003", InstituteID: "zhongguancun",
		Refused: []string{"team-0003", "team-0006"}}
	b.ReportAllocs()
	for b.Loop() {
		d := domain.RankTeams(order, teams).Summary(domain.DecisionRecordLimit)
		if d.CandidateCount == 0 {
			b.Fatal("no candidates")
		}
	}
}

func BenchmarkMarshalEvent(b *testing.B) {
	for _, e := range []domain.Event{placed(), sampleEvents()[1]} {
		b.Run(e.EventType(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := domain.MarshalEvent(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUnmarshalEvent(b *testing.B) {
	for _, e := range []domain.Event{placed(), sampleEvents()[1], sampleEvents()[9]} {
		typ, data, err := domain.MarshalEvent(e)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(typ, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := domain.UnmarshalEvent(typ, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
