package domain_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/paidan/paidan/domain"
)

// The order the policy tests dispatch: errand at station zhongguancun-003.
var policyOrder = domain.DispatchOrder{Category: domain.CategoryErrand, StationID: "zhongguancun-003", InstituteID: "zhongguancun"}

// snap is an active errand team with capacity 3 and no load or ratings,
// changed by opts.
func snap(id, station, institute string, opts ...func(*domain.TeamSnapshot)) domain.TeamSnapshot {
	s := domain.TeamSnapshot{TeamID: id, StationID: station, InstituteID: institute,
		Skills: []domain.Category{domain.CategoryErrand}, Capacity: 3, Active: true}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func load(n int) func(*domain.TeamSnapshot) { return func(s *domain.TeamSnapshot) { s.Load = n } }
func rated(n, good int) func(*domain.TeamSnapshot) {
	return func(s *domain.TeamSnapshot) { s.Ratings, s.GoodRatings = n, good }
}

func here(id string, opts ...func(*domain.TeamSnapshot)) domain.TeamSnapshot {
	return snap(id, "zhongguancun-003", "zhongguancun", opts...)
}
func sameInstitute(id string, opts ...func(*domain.TeamSnapshot)) domain.TeamSnapshot {
	return snap(id, "zhongguancun-007", "zhongguancun", opts...)
}
func elsewhere(id string, opts ...func(*domain.TeamSnapshot)) domain.TeamSnapshot {
	return snap(id, "yongdinglu-001", "yongdinglu", opts...)
}

func ranked(d domain.DispatchDecision) []string {
	var ids []string
	for _, c := range d.Candidates {
		ids = append(ids, c.TeamID)
	}
	return ids
}

func TestRankTeams(t *testing.T) {
	cases := []struct {
		name  string
		order domain.DispatchOrder
		teams []domain.TeamSnapshot
		want  []string
	}{
		{"station before institute before district, whatever the load and ratings", policyOrder,
			[]domain.TeamSnapshot{elsewhere("d", rated(100, 100)), sameInstitute("i", rated(50, 50)), here("s", load(2), rated(3, 0))},
			[]string{"s", "i", "d"}},
		{"within a tier, lower load first", policyOrder,
			[]domain.TeamSnapshot{here("busy", load(2), rated(40, 40)), here("idle", load(0)), here("some", load(1))},
			[]string{"idle", "some", "busy"}},
		{"then higher good-rating rate", policyOrder,
			[]domain.TeamSnapshot{here("none"), here("bad-one", rated(1, 0)), here("good-one", rated(1, 1)), here("proven", rated(50, 50))},
			[]string{"proven", "good-one", "none", "bad-one"}},
		{"one rating does not outrank a long record", policyOrder,
			[]domain.TeamSnapshot{here("lucky", rated(1, 1)), here("steady", rated(40, 38))},
			[]string{"steady", "lucky"}},
		{"ties by team id", policyOrder,
			[]domain.TeamSnapshot{here("c"), here("a"), here("b")},
			[]string{"a", "b", "c"}},
		{"no candidates", policyOrder,
			[]domain.TeamSnapshot{here("full", load(3))}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := domain.RankTeams(tc.order, tc.teams)
			if got := ranked(d); !slices.Equal(got, tc.want) {
				t.Errorf("ranking: got %v, want %v", got, tc.want)
			}
			if d.PolicyVersion != domain.PolicyVersion {
				t.Errorf("policy version %q, want %q", d.PolicyVersion, domain.PolicyVersion)
			}
			best, ok := d.Best()
			if ok != (len(tc.want) > 0) || (ok && (best != tc.want[0] || d.Chosen != best)) || (!ok && d.Chosen != "") {
				t.Errorf("Best() = %q, %v; chosen %q", best, ok, d.Chosen)
			}
			for i := 1; i < len(d.Candidates); i++ {
				if d.Candidates[i].Score > d.Candidates[i-1].Score {
					t.Errorf("score of rank %d (%v) exceeds rank %d (%v): scores must follow the ranking",
						i+1, d.Candidates[i].Score, i, d.Candidates[i-1].Score)
				}
			}
		})
	}
}

func TestRankTeamsExclusions(t *testing.T) {
	order := policyOrder
	order.Refused = []string{"declined"}
	teams := []domain.TeamSnapshot{
		here("ok"),
		here("suspended", func(s *domain.TeamSnapshot) { s.Active = false }),
		here("suspended-and-unskilled", func(s *domain.TeamSnapshot) { s.Active = false; s.Skills = []domain.Category{domain.CategoryLegal} }),
		sameInstitute("unskilled", func(s *domain.TeamSnapshot) {
			s.Skills = []domain.Category{domain.CategoryLegal, domain.CategoryHealth}
		}),
		elsewhere("full", load(3)),
		here("overfull", load(4)),
		here("declined"),
		elsewhere("far-unskilled", func(s *domain.TeamSnapshot) { s.Skills = []domain.Category{domain.CategoryLegal} }),
	}
	d := domain.RankTeams(order, teams)
	want := []domain.Exclusion{
		{TeamID: "declined", Tier: domain.TierStation, Reason: domain.ExcludedDeclinedBefore},
		{TeamID: "overfull", Tier: domain.TierStation, Reason: domain.ExcludedAtCapacity},
		{TeamID: "suspended", Tier: domain.TierStation, Reason: domain.ExcludedSuspended},
		{TeamID: "suspended-and-unskilled", Tier: domain.TierStation, Reason: domain.ExcludedSuspended},
		{TeamID: "unskilled", Tier: domain.TierInstitute, Reason: domain.ExcludedLacksSkill},
		{TeamID: "full", Tier: domain.TierDistrict, Reason: domain.ExcludedAtCapacity},
	}
	if !reflect.DeepEqual(d.Excluded, want) {
		t.Errorf("excluded:\n got  %+v\n want %+v", d.Excluded, want)
	}
	if got := ranked(d); !slices.Equal(got, []string{"ok"}) {
		t.Errorf("candidates: got %v, want [ok]", got)
	}
	counts := map[domain.ExclusionReason]int{domain.ExcludedDeclinedBefore: 1, domain.ExcludedAtCapacity: 2,
		domain.ExcludedSuspended: 2, domain.ExcludedLacksSkill: 2}
	// far-unskilled is counted but not listed: another institute's team
	// without the skill says nothing about the choice.
	if d.CandidateCount != 1 || d.ExcludedCount != 7 || !reflect.DeepEqual(d.ExcludedByReason, counts) {
		t.Errorf("counts: %d candidates, %d excluded, by reason %v", d.CandidateCount, d.ExcludedCount, d.ExcludedByReason)
	}
	c := d.Candidates[0]
	if c.Tier != domain.TierStation || c.Load != 0 || c.Capacity != 3 || c.GoodRate != 0.9 || c.Score != 2000899.1 {
		t.Errorf("candidate record: %+v", c)
	}
}

func TestRankTeamsIsDeterministic(t *testing.T) {
	var teams []domain.TeamSnapshot
	for i := range 60 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		mk := []func(string, ...func(*domain.TeamSnapshot)) domain.TeamSnapshot{here, sameInstitute, elsewhere}[i%3]
		teams = append(teams, mk(id, load(i%4), rated(i%7, max(0, i%7-i%2))))
	}
	want := domain.RankTeams(policyOrder, teams)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := slices.Clone(teams)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := domain.RankTeams(policyOrder, shuffled); !reflect.DeepEqual(got, want) {
			t.Fatalf("the same teams in another order gave another decision:\n got  %v\n want %v", ranked(got), ranked(want))
		}
	}
}

func TestDecisionSummary(t *testing.T) {
	var teams []domain.TeamSnapshot
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		teams = append(teams, here(id), sameInstitute("x"+id, func(s *domain.TeamSnapshot) { s.Skills = []domain.Category{domain.CategoryLegal} }),
			elsewhere("f"+id, load(3)))
	}
	full := domain.RankTeams(policyOrder, teams)
	s := full.Summary(3)
	if got := ranked(s); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("summary candidates: %v", got)
	}
	for _, e := range s.Excluded {
		if e.Reason == domain.ExcludedLacksSkill {
			t.Errorf("summary lists a team lacking the skill: %+v", e)
		}
	}
	if len(s.Excluded) != 3 || s.CandidateCount != 5 || s.ExcludedCount != 10 ||
		s.ExcludedByReason[domain.ExcludedLacksSkill] != 5 || s.Chosen != "a" {
		t.Errorf("summary: %+v", s)
	}
	s.ExcludedByReason[domain.ExcludedLacksSkill] = 0
	if full.ExcludedByReason[domain.ExcludedLacksSkill] != 5 || len(full.Candidates) != 5 {
		t.Error("Summary shares memory with the full decision")
	}
}

func TestGoodRatePrior(t *testing.T) {
	cases := []struct {
		n, good int
		want    float64
	}{
		{0, 0, 0.9}, {1, 1, 10.0 / 11}, {1, 0, 9.0 / 11}, {90, 90, 99.0 / 100},
	}
	for _, tc := range cases {
		if got := domain.GoodRate(tc.n, tc.good); got != tc.want {
			t.Errorf("GoodRate(%d, %d) = %v, want %v", tc.n, tc.good, got, tc.want)
		}
	}
}
