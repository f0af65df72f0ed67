package domain

import (
	"fmt"
	"slices"
	"time"
)

// Team is a volunteer team. Its state is unexported and changes only by
// applying its own events; commands decide and change nothing.
type Team struct {
	id      string
	profile TeamProfile
	active  bool
	applied int
}

// TeamSpec is a team's profile as a coordinator enters it; the institute
// comes from the directory.
type TeamSpec struct {
	Name      string
	StationID string
	Skills    []Category
	Capacity  int
}

// RehydrateTeam rebuilds a team from its stream's events, oldest first. It is
// not a constructor and validates no input; teams come into being with
// RegisterTeam.
func RehydrateTeam(events []Event) (*Team, error) {
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: expected the events of a team, found none", ErrTeamNotFound)
	}
	t := &Team{}
	for _, e := range events {
		if err := t.Apply(e); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Apply moves the team by one event of its history (start from new(Team)).
// An event that cannot follow returns ErrCorruptHistory and changes nothing.
func (t *Team) Apply(e Event) error {
	if t.applied == 0 {
		r, ok := e.(TeamRegistered)
		if !ok {
			return fmt.Errorf("%w: a team's first event must be %s, found %s",
				ErrCorruptHistory, EventTypeTeamRegistered, typeOf(e))
		}
		*t = Team{id: r.TeamID, profile: r.TeamProfile.clone(), active: true, applied: 1}
		return nil
	}
	if e.StreamID() != TeamStream(t.id) {
		return fmt.Errorf("%w: event %s of stream %s applied to %s",
			ErrCorruptHistory, typeOf(e), e.StreamID(), TeamStream(t.id))
	}
	switch e := e.(type) {
	case TeamUpdated:
		t.profile = e.TeamProfile.clone()
	case TeamSuspended:
		if !t.active {
			return fmt.Errorf("%w: %s of a suspended team %s", ErrCorruptHistory, typeOf(e), t.id)
		}
		t.active = false
	case TeamResumed:
		if t.active {
			return fmt.Errorf("%w: %s of an active team %s", ErrCorruptHistory, typeOf(e), t.id)
		}
		t.active = true
	default:
		return fmt.Errorf("%w: %s is not a team event", ErrCorruptHistory, typeOf(e))
	}
	t.applied++
	return nil
}

func (p TeamProfile) clone() TeamProfile {
	p.Skills = slices.Clone(p.Skills)
	return p
}

// RegisterTeam decides whether a coordinator, an admin or the server may
// register a team and returns its first event: id 1–64 letters, digits, '-'
// or '_'; name up to 100 characters; a station of dir; at least one skill,
// all known categories, without repeats; capacity 1 to 100.
func RegisterTeam(dir *Directory, by Actor, id string, spec TeamSpec, now time.Time) (TeamRegistered, error) {
	if !by.isStaffOrSystem() {
		return TeamRegistered{}, fmt.Errorf("%w: registering a team needs role coordinator or admin, found %q",
			ErrRoleNotAllowed, by.Role)
	}
	if err := checkID("team_id", id); err != nil {
		return TeamRegistered{}, err
	}
	p, err := spec.profile(dir)
	if err != nil {
		return TeamRegistered{}, err
	}
	return TeamRegistered{TeamID: id, TeamProfile: p, By: by.Subject, RegisteredAt: now.UTC()}, nil
}

func (s TeamSpec) profile(dir *Directory) (TeamProfile, error) {
	if err := checkText("name", s.Name, MaxTeamNameRunes, true); err != nil {
		return TeamProfile{}, err
	}
	st, err := dir.checkStation("station_id", s.StationID)
	if err != nil {
		return TeamProfile{}, err
	}
	if len(s.Skills) == 0 {
		return TeamProfile{}, &ValidationError{Field: "skills", Reason: "expected at least one category, found none"}
	}
	for i, c := range s.Skills {
		if err := c.validate("skills"); err != nil {
			return TeamProfile{}, err
		}
		if slices.Contains(s.Skills[:i], c) {
			return TeamProfile{}, &ValidationError{Field: "skills",
				Reason: fmt.Sprintf("expected each category once, found %q twice", c)}
		}
	}
	if s.Capacity < MinTeamCapacity || s.Capacity > MaxTeamCapacity {
		return TeamProfile{}, &ValidationError{Field: "capacity",
			Reason: fmt.Sprintf("expected %d to %d orders at a time, found %d", MinTeamCapacity, MaxTeamCapacity, s.Capacity)}
	}
	return TeamProfile{Name: s.Name, StationID: st.ID, InstituteID: st.InstituteID,
		Skills: slices.Clone(s.Skills), Capacity: s.Capacity}, nil
}

// Update replaces the team's profile under the rules of RegisterTeam. An
// update that changes nothing returns no events.
func (t *Team) Update(dir *Directory, by Actor, spec TeamSpec, now time.Time) ([]Event, error) {
	if err := t.managedBy(by, "updating"); err != nil {
		return nil, err
	}
	p, err := spec.profile(dir)
	if err != nil {
		return nil, err
	}
	if p.equal(t.profile) {
		return nil, nil
	}
	return []Event{TeamUpdated{TeamID: t.id, TeamProfile: p, By: by.Subject, UpdatedAt: now.UTC()}}, nil
}

// Suspend stops offers to the team; the dispatcher withdraws its pending ones.
func (t *Team) Suspend(by Actor, reason string, now time.Time) ([]Event, error) {
	if err := t.managedBy(by, "suspending"); err != nil {
		return nil, err
	}
	if !t.active {
		return nil, ErrTeamAlreadySuspended
	}
	if err := checkText("reason", reason, MaxReasonRunes, false); err != nil {
		return nil, err
	}
	return []Event{TeamSuspended{TeamID: t.id, TeamProfile: t.profile.clone(), By: by.Subject,
		Reason: reason, SuspendedAt: now.UTC()}}, nil
}

// Resume lets a suspended team receive offers again.
func (t *Team) Resume(by Actor, now time.Time) ([]Event, error) {
	if err := t.managedBy(by, "resuming"); err != nil {
		return nil, err
	}
	if t.active {
		return nil, ErrTeamNotSuspended
	}
	return []Event{TeamResumed{TeamID: t.id, TeamProfile: t.profile.clone(), By: by.Subject,
		ResumedAt: now.UTC()}}, nil
}

// CanTakeOffer says whether the team may be offered an order of category c:
// it must be active and have the skill. Load is not known here; the
// dispatcher reads it from the teams read model.
func (t *Team) CanTakeOffer(c Category) error {
	if t == nil || t.applied == 0 {
		return ErrTeamNotFound
	}
	if !t.active {
		return fmt.Errorf("%w: team %s", ErrTeamSuspended, t.id)
	}
	if !slices.Contains(t.profile.Skills, c) {
		return fmt.Errorf("%w: team %s offers %v, the order asks for %s", ErrTeamLacksSkill, t.id, t.profile.Skills, c)
	}
	return nil
}

func (t *Team) managedBy(by Actor, what string) error {
	if t == nil || t.applied == 0 {
		return ErrTeamNotFound
	}
	if !by.isStaffOrSystem() {
		return fmt.Errorf("%w: %s a team needs role coordinator or admin, found %q", ErrRoleNotAllowed, what, by.Role)
	}
	return nil
}

func (p TeamProfile) equal(q TeamProfile) bool {
	return p.Name == q.Name && p.StationID == q.StationID && p.InstituteID == q.InstituteID &&
		p.Capacity == q.Capacity && slices.Equal(p.Skills, q.Skills)
}

// ID is the team's id.
func (t *Team) ID() string { return t.id }

// Name, Station, Institute, Capacity describe the team.
func (t *Team) Name() string      { return t.profile.Name }
func (t *Team) Station() string   { return t.profile.StationID }
func (t *Team) Institute() string { return t.profile.InstituteID }
func (t *Team) Capacity() int     { return t.profile.Capacity }

// Skills lists the categories the team serves.
func (t *Team) Skills() []Category { return slices.Clone(t.profile.Skills) }

// HasSkill reports whether the team serves category c.
func (t *Team) HasSkill(c Category) bool { return slices.Contains(t.profile.Skills, c) }

// Active reports whether the team may receive offers (not suspended).
func (t *Team) Active() bool { return t.active }

// Profile is the team's current profile (a copy).
func (t *Team) Profile() TeamProfile { return t.profile.clone() }

// Version is the number of events applied: the stream's next revision.
func (t *Team) Version() int { return t.applied }
