package app

import (
	"context"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// TeamResult is what a team command did.
type TeamResult struct {
	TeamID string
	// Revision is the revision of the team stream's last event after the
	// command; Position that event's global position.
	Revision uint64
	Position eventstore.Position
	// Replayed says an earlier request with the same idempotency key did
	// this, and this one appended nothing.
	Replayed bool
	Events   []domain.Event
	// Team is the team's state right after the command's events.
	Team *domain.Team
}

type teamDecision func(t *domain.Team, now time.Time) ([]domain.Event, error)

// onTeam runs a command on an existing team.
func (c *Commands) onTeam(ctx context.Context, command, what string, env Envelope, teamID string, decide teamDecision) (TeamResult, error) {
	if !domain.ValidID(teamID) {
		return TeamResult{}, fmt.Errorf("%s team %q: %w", what, teamID, domain.ErrTeamNotFound)
	}
	stream := domain.TeamStream(teamID)
	out, err := c.apply(ctx, change{
		command: command,
		stream:  stream,
		env:     env,
		ids:     newIDs(env.IdempotencyKey, env.Actor.Subject, command, stream),
		decide: func(_ context.Context, history []domain.Event, now time.Time) ([]domain.Event, error) {
			t, err := domain.RehydrateTeam(history)
			if err != nil {
				return nil, err
			}
			return decide(t, now)
		},
	})
	if err != nil {
		return TeamResult{}, fmt.Errorf("%s team %s: %w", what, teamID, err)
	}
	return teamResult(teamID, out)
}

func teamResult(id string, out outcome) (TeamResult, error) {
	t, err := domain.RehydrateTeam(out.history)
	if err != nil {
		return TeamResult{}, fmt.Errorf("team %s after the command: %w", id, err)
	}
	return TeamResult{TeamID: id, Revision: out.revision, Position: out.position,
		Replayed: out.replayed, Events: out.events, Team: t}, nil
}
