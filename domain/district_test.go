package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/domain"
)

func TestGenerateDistrictDemo(t *testing.T) {
	dir := domain.DemoDirectory()
	teams, err := domain.GenerateDistrict(dir, domain.DemoTeamCount, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != domain.DemoTeamCount {
		t.Fatalf("expected %d teams, found %d", domain.DemoTeamCount, len(teams))
	}
	coordinator := domain.Actor{Subject: "c", Role: domain.RoleCoordinator}
	ids := map[string]bool{}
	perStation := map[string]int{}
	perSkill := map[domain.Category]int{}
	perCapacity := map[int]int{}
	for _, tm := range teams {
		if ids[tm.ID] {
			t.Fatalf("team id %s generated twice", tm.ID)
		}
		ids[tm.ID] = true
		// Every generated team must be one a coordinator could register.
		if _, err := domain.RegisterTeam(dir, coordinator, tm.ID, tm.Spec, time.Unix(0, 0)); err != nil {
			t.Fatalf("team %s is not registrable: %v", tm.ID, err)
		}
		perStation[tm.Spec.StationID]++
		for _, c := range tm.Spec.Skills {
			perSkill[c]++
		}
		perCapacity[tm.Spec.Capacity]++
		if n := len(tm.Spec.Skills); n < 1 || n > 3 {
			t.Errorf("team %s: expected 1 to 3 skills, found %d", tm.ID, n)
		}
	}
	if len(perStation) != domain.DemoStationCount {
		t.Errorf("expected every one of %d stations to have a team, found %d with one", domain.DemoStationCount, len(perStation))
	}
	busiest := 0
	for _, n := range perStation {
		busiest = max(busiest, n)
	}
	if busiest < 3 {
		t.Errorf("expected some stations with several teams, found at most %d per station", busiest)
	}
	for c := 1; c <= 5; c++ {
		if perCapacity[c] == 0 {
			t.Errorf("no team of capacity %d; expected capacities 1 to 5", c)
		}
	}
	if len(perCapacity) != 5 {
		t.Errorf("expected capacities only in 1..5, found %v", perCapacity)
	}
	common := []domain.Category{domain.CategoryErrand, domain.CategoryHealth}
	rare := []domain.Category{domain.CategoryLegal, domain.CategoryCounseling}
	for _, c := range common {
		for _, r := range rare {
			if perSkill[c] < 2*perSkill[r] {
				t.Errorf("expected %s (%d teams) at least twice as common as %s (%d)", c, perSkill[c], r, perSkill[r])
			}
		}
	}
	for _, c := range domain.Categories() {
		if perSkill[c] == 0 {
			t.Errorf("no team offers %s", c)
		}
	}
}

func TestGenerateDistrictIsDeterministic(t *testing.T) {
	dir := domain.DemoDirectory()
	a, _ := domain.GenerateDistrict(dir, 300, 42)
	b, _ := domain.GenerateDistrict(dir, 300, 42)
	c, _ := domain.GenerateDistrict(dir, 300, 43)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different districts")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 42 and 43 gave the same district")
	}
	// Pinned: the generator is our own, so a Go upgrade must not move it.
	first := a[0]
	if first.ID != "t-tiancunlu-011-1" || first.Spec.Capacity != 3 ||
		!reflect.DeepEqual(first.Spec.Skills, []domain.Category{domain.CategoryEducation, domain.CategoryHealth}) {
		t.Errorf("seed 42's first team moved: found %+v", first)
	}
}

func TestGenerateDistrictFewerTeamsThanStations(t *testing.T) {
	teams, err := domain.GenerateDistrict(domain.DemoDirectory(), 10, 7)
	if err != nil || len(teams) != 10 {
		t.Fatalf("expected 10 teams, found %d, %v", len(teams), err)
	}
	stations := map[string]bool{}
	for _, tm := range teams {
		if stations[tm.Spec.StationID] {
			t.Errorf("station %s got two of only 10 teams", tm.Spec.StationID)
		}
		stations[tm.Spec.StationID] = true
	}
}

func TestGenerateDistrictRefusals(t *testing.T) {
	one, err := domain.NewDirectory([]domain.Institute{{ID: "i", Name: "I"}}, []domain.Station{{ID: "s", Name: "S", InstituteID: "i"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  *domain.Directory
		n    int
		want string
	}{
		{"nil directory", nil, 5, "directory: required"},
		{"zero teams", one, 0, "at least 1 team"},
		{"negative teams", one, -3, "at least 1 team"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := domain.GenerateDistrict(tc.dir, tc.n, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("expected an error containing %q, found %v", tc.want, err)
			}
		})
	}
	teams, err := domain.GenerateDistrict(one, 3, 1)
	if err != nil || len(teams) != 3 || teams[2].ID != "t-s-3" || !strings.HasSuffix(teams[2].Spec.Name, "3队") {
		t.Errorf("three teams at one station: expected ids t-s-1..3 and numbered names, found %+v, %v", teams, err)
	}
}
