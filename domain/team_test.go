package domain_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paidan/paidan/domain"
)

func teamSpec() domain.TeamSpec {
	return domain.TeamSpec{Name: "中关村青年志愿服务队", StationID: "zhongguancun-003",
		Skills: []domain.Category{domain.CategoryErrand, domain.CategoryHealth}, Capacity: 5}
}

func teamProfile() domain.TeamProfile {
	return domain.TeamProfile{Name: "中关村青年志愿服务队", StationID: "zhongguancun-003", InstituteID: "zhongguancun",
		Skills: []domain.Category{domain.CategoryErrand, domain.CategoryHealth}, Capacity: 5}
}

func registered() domain.TeamRegistered {
	return domain.TeamRegistered{TeamID: "team-a", TeamProfile: teamProfile(), By: coord.Subject, RegisteredAt: t0}
}

func TestRegisterTeam(t *testing.T) {
	dir := domain.DemoDirectory()
	with := func(f func(*domain.TeamSpec)) domain.TeamSpec { s := teamSpec(); f(&s); return s }
	cases := []struct {
		name  string
		by    domain.Actor
		id    string
		spec  domain.TeamSpec
		err   error
		field string
	}{
		{name: "coordinator registers", by: coord, id: "team-a", spec: teamSpec()},
		{name: "resident may not register", by: resident, id: "team-a", spec: teamSpec(), err: domain.ErrForbidden},
		{name: "team member may not register", by: teamA, id: "team-a", spec: teamSpec(), err: domain.ErrRoleNotAllowed},
		{name: "bad id", by: coord, id: "team a", spec: teamSpec(), err: domain.ErrInvalid, field: "team_id"},
		{name: "empty name", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Name = " " }), err: domain.ErrInvalid, field: "name"},
		{name: "name of 101 characters", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Name = strings.Repeat("队", 101) }), err: domain.ErrInvalid, field: "name"},
		{name: "unknown station", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.StationID = "x-1" }), err: domain.ErrInvalid, field: "station_id"},
		{name: "no skills", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Skills = nil }), err: domain.ErrInvalid, field: "skills"},
		{name: "unknown skill", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Skills = []domain.Category{"magic"} }), err: domain.ErrInvalid, field: "skills"},
		{name: "repeated skill", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Skills = []domain.Category{"legal", "legal"} }), err: domain.ErrInvalid, field: "skills"},
		{name: "capacity 0", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Capacity = 0 }), err: domain.ErrInvalid, field: "capacity"},
		{name: "capacity 101", by: coord, id: "team-a", spec: with(func(s *domain.TeamSpec) { s.Capacity = 101 }), err: domain.ErrInvalid, field: "capacity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := domain.RegisterTeam(dir, tc.by, tc.id, tc.spec, t0.In(mustZone(t)))
			checkErr(t, err, tc.err, tc.field)
			if tc.err == nil && !reflect.DeepEqual(got, registered()) {
				t.Errorf("got %#v\nwant %#v", got, registered())
			}
		})
	}
}

func TestTeamCommands(t *testing.T) {
	dir := domain.DemoDirectory()
	suspended := domain.TeamSuspended{TeamID: "team-a", TeamProfile: teamProfile(), By: coord.Subject, Reason: "队长出差", SuspendedAt: at(2)}
	moved := teamSpec()
	moved.StationID, moved.Capacity = "yongdinglu-001", 8
	movedProfile := domain.TeamProfile{Name: moved.Name, StationID: "yongdinglu-001", InstituteID: "yongdinglu",
		Skills: moved.Skills, Capacity: 8}
	cases := []struct {
		name  string
		given []domain.Event
		when  func(*domain.Team) ([]domain.Event, error)
		then  []domain.Event
		err   error
	}{
		{name: "update moves the team; institute follows the station", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Update(dir, coord, moved, at(1)) },
			then: []domain.Event{domain.TeamUpdated{TeamID: "team-a", TeamProfile: movedProfile, By: coord.Subject, UpdatedAt: at(1)}}},
		{name: "update that changes nothing", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Update(dir, coord, teamSpec(), at(1)) }},
		{name: "update with a bad capacity", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) {
				s := teamSpec()
				s.Capacity = -1
				return tm.Update(dir, coord, s, at(1))
			},
			err: domain.ErrInvalid},
		{name: "team member may not update", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Update(dir, teamA, moved, at(1)) },
			err:  domain.ErrForbidden},
		{name: "suspend", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Suspend(coord, "队长出差", at(2)) },
			then: []domain.Event{suspended}},
		{name: "suspend twice", given: []domain.Event{registered(), suspended},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Suspend(coord, "", at(3)) },
			err:  domain.ErrTeamAlreadySuspended},
		{name: "resume", given: []domain.Event{registered(), suspended},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Resume(admin, at(3)) },
			then: []domain.Event{domain.TeamResumed{TeamID: "team-a", TeamProfile: teamProfile(), By: admin.Subject, ResumedAt: at(3)}}},
		{name: "resume an active team", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Resume(coord, at(3)) },
			err:  domain.ErrTeamNotSuspended},
		{name: "auditor may not suspend", given: []domain.Event{registered()},
			when: func(tm *domain.Team) ([]domain.Event, error) { return tm.Suspend(auditor, "", at(2)) },
			err:  domain.ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tm, err := domain.RehydrateTeam(tc.given)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := domain.RehydrateTeam(tc.given)
			got, err := tc.when(tm)
			checkErr(t, err, tc.err, "")
			eventsEqual(t, got, tc.then)
			if !reflect.DeepEqual(tm, before) {
				t.Error("the command changed the team: it must only decide")
			}
		})
	}
}

func TestTeamState(t *testing.T) {
	susp := domain.TeamSuspended{TeamID: "team-a", TeamProfile: teamProfile(), SuspendedAt: at(2)}
	tm, err := domain.RehydrateTeam([]domain.Event{registered(), susp})
	if err != nil {
		t.Fatal(err)
	}
	if tm.ID() != "team-a" || tm.Active() || tm.Capacity() != 5 || tm.Institute() != "zhongguancun" ||
		tm.Station() != "zhongguancun-003" || tm.Name() != teamProfile().Name || tm.Version() != 2 ||
		!tm.HasSkill(domain.CategoryHealth) || tm.HasSkill(domain.CategoryLegal) ||
		!reflect.DeepEqual(tm.Skills(), teamProfile().Skills) || !reflect.DeepEqual(tm.Profile(), teamProfile()) {
		t.Errorf("unexpected state: %+v", tm)
	}
	if err := tm.CanTakeOffer(domain.CategoryErrand); !errors.Is(err, domain.ErrTeamSuspended) {
		t.Errorf("a suspended team: expected ErrTeamSuspended, found %v", err)
	}
	active, _ := domain.RehydrateTeam([]domain.Event{registered()})
	if err := active.CanTakeOffer(domain.CategoryLegal); !errors.Is(err, domain.ErrTeamLacksSkill) {
		t.Errorf("a team without the skill: expected ErrTeamLacksSkill, found %v", err)
	}
	if err := active.CanTakeOffer(domain.CategoryErrand); err != nil {
		t.Errorf("an active team with the skill: %v", err)
	}
	active.Skills()[0] = "changed"
	if active.Skills()[0] != domain.CategoryErrand {
		t.Error("Skills shares memory with the team")
	}
	if _, err := new(domain.Team).Suspend(coord, "", t0); !errors.Is(err, domain.ErrTeamNotFound) {
		t.Errorf("a team never registered: expected ErrTeamNotFound, found %v", err)
	}
}
