package app

import (
	"context"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
)

// RegisterTeam is a coordinator registering a volunteer team.
type RegisterTeam struct {
	Envelope
	// TeamID is the new team's id; optional: empty makes one (random, or
	// derived from the idempotency key so a retry finds the same team).
	TeamID string
	Spec   domain.TeamSpec
}

// RegisterTeam creates a team; an id already taken is domain.ErrTeamExists.
func (c *Commands) RegisterTeam(ctx context.Context, cmd RegisterTeam) (TeamResult, error) {
	const command = "RegisterTeam"
	id := cmd.TeamID
	if id == "" {
		id = newIDs(cmd.IdempotencyKey, cmd.Actor.Subject, command, "").named("team").String()
	}
	if !domain.ValidID(id) {
		// No stream to read: the domain refuses the actor or the id.
		_, err := domain.RegisterTeam(c.dir, cmd.Actor, id, cmd.Spec, c.clock.Now())
		return TeamResult{}, fmt.Errorf("register a team: %w", err)
	}
	stream := domain.TeamStream(id)
	out, err := c.apply(ctx, change{
		command: command,
		stream:  stream,
		env:     cmd.Envelope,
		ids:     newIDs(cmd.IdempotencyKey, cmd.Actor.Subject, command, stream),
		// An id made without a key is random: its stream is new.
		unwritten: cmd.TeamID == "" && cmd.IdempotencyKey == "",
		decide: func(_ context.Context, history []domain.Event, now time.Time) ([]domain.Event, error) {
			if len(history) > 0 {
				return nil, fmt.Errorf("%w: id %s", domain.ErrTeamExists, id)
			}
			ev, err := domain.RegisterTeam(c.dir, cmd.Actor, id, cmd.Spec, now)
			if err != nil {
				return nil, err
			}
			return []domain.Event{ev}, nil
		},
	})
	if err != nil {
		return TeamResult{}, fmt.Errorf("register a team: %w", err)
	}
	return teamResult(id, out)
}

// UpdateTeam replaces a team's profile.
type UpdateTeam struct {
	Envelope
	TeamID string
	Spec   domain.TeamSpec
}

// UpdateTeam changes a team's profile; an unchanged profile appends nothing.
func (c *Commands) UpdateTeam(ctx context.Context, cmd UpdateTeam) (TeamResult, error) {
	return c.onTeam(ctx, "UpdateTeam", "update", cmd.Envelope, cmd.TeamID,
		func(t *domain.Team, now time.Time) ([]domain.Event, error) {
			return t.Update(c.dir, cmd.Actor, cmd.Spec, now)
		})
}

// SuspendTeam stops offers to a team.
type SuspendTeam struct {
	Envelope
	TeamID string
	Reason string
}

// SuspendTeam suspends an active team.
func (c *Commands) SuspendTeam(ctx context.Context, cmd SuspendTeam) (TeamResult, error) {
	return c.onTeam(ctx, "SuspendTeam", "suspend", cmd.Envelope, cmd.TeamID,
		func(t *domain.Team, now time.Time) ([]domain.Event, error) {
			return t.Suspend(cmd.Actor, cmd.Reason, now)
		})
}

// ResumeTeam lets a suspended team receive offers again.
type ResumeTeam struct {
	Envelope
	TeamID string
}

// ResumeTeam resumes a suspended team.
func (c *Commands) ResumeTeam(ctx context.Context, cmd ResumeTeam) (TeamResult, error) {
	return c.onTeam(ctx, "ResumeTeam", "resume", cmd.Envelope, cmd.TeamID,
		func(t *domain.Team, now time.Time) ([]domain.Event, error) {
			return t.Resume(cmd.Actor, now)
		})
}
