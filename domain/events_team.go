package domain

import "time"

// TeamProfile is what a team is: every team event carries it in full, so a
// read model can build a team's row from any single event.
type TeamProfile struct {
	Name        string     `json:"name"`
	StationID   string     `json:"station_id"`
	InstituteID string     `json:"institute_id"`
	Skills      []Category `json:"skills"`
	Capacity    int        `json:"capacity"`
}

// TeamRegistered: a coordinator registered a volunteer team.
type TeamRegistered struct {
	TeamID string `json:"team_id"`
	TeamProfile
	By           string    `json:"by"`
	RegisteredAt time.Time `json:"registered_at"`
}

// TeamUpdated: the team's profile changed; the event carries the new profile.
type TeamUpdated struct {
	TeamID string `json:"team_id"`
	TeamProfile
	By        string    `json:"by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TeamSuspended: the team receives no offers until resumed; its pending
// offers are withdrawn by the dispatcher.
type TeamSuspended struct {
	TeamID string `json:"team_id"`
	TeamProfile
	By          string    `json:"by"`
	Reason      string    `json:"reason"`
	SuspendedAt time.Time `json:"suspended_at"`
}

// TeamResumed: a suspended team receives offers again.
type TeamResumed struct {
	TeamID string `json:"team_id"`
	TeamProfile
	By        string    `json:"by"`
	ResumedAt time.Time `json:"resumed_at"`
}

func (TeamRegistered) EventType() string { return EventTypeTeamRegistered }
func (TeamUpdated) EventType() string    { return EventTypeTeamUpdated }
func (TeamSuspended) EventType() string  { return EventTypeTeamSuspended }
func (TeamResumed) EventType() string    { return EventTypeTeamResumed }

func (e TeamRegistered) StreamID() string { return TeamStream(e.TeamID) }
func (e TeamUpdated) StreamID() string    { return TeamStream(e.TeamID) }
func (e TeamSuspended) StreamID() string  { return TeamStream(e.TeamID) }
func (e TeamResumed) StreamID() string    { return TeamStream(e.TeamID) }
