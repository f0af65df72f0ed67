package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// projectionTeams gives automatic dispatch its view of the teams from the
// teams read model, which the server keeps anyway, instead of a second fold
// of the whole log in memory (app.LogTeams).
//
// app.TeamSource asks for a view that reflects every event committed before
// the call began. The read model may lag the log, so each call first reads
// the log's head and waits for the teams projection to commit it; only then
// are the rows read. While the store is unreachable the head cannot be read
// and the call fails with the store's error, like every command does.
type projectionTeams struct {
	store    eventstore.Store
	reader   *projections.Reader
	pipeline interface {
		WaitFor(ctx context.Context, pos eventstore.Position, only ...string) error
	}
}

var _ app.TeamSource = projectionTeams{}

func newProjectionTeams(store eventstore.Store, reader *projections.Reader, pipe *projections.Pipeline) (projectionTeams, error) {
	if store == nil || reader == nil || pipe == nil {
		return projectionTeams{}, errors.New("teams source: store, reader and pipeline are required")
	}
	return projectionTeams{store: store, reader: reader, pipeline: pipe}, nil
}

// Teams returns every team of the read model, sorted by id, once the model
// has reached the log's head as it stood when the call began.
func (p projectionTeams) Teams(ctx context.Context) ([]domain.TeamSnapshot, error) {
	head, err := p.store.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("teams source: read the log's head: %w", err)
	}
	if len(head) == 1 {
		if err := p.pipeline.WaitFor(ctx, head[0].Position, projections.NameTeams); err != nil {
			return nil, fmt.Errorf("teams source: teams read model to reach position %d: %w", head[0].Position, err)
		}
	}
	views, _, err := p.reader.Teams(ctx, projections.TeamQuery{})
	if err != nil {
		return nil, fmt.Errorf("teams source: %w", err)
	}
	out := make([]domain.TeamSnapshot, len(views))
	for i, v := range views {
		skills := make([]domain.Category, len(v.Skills))
		for j, s := range v.Skills {
			skills[j] = domain.Category(s)
		}
		out[i] = domain.TeamSnapshot{TeamID: v.TeamID, StationID: v.StationID, InstituteID: v.InstituteID,
			Skills: skills, Capacity: int(v.Capacity), Load: int(max(v.Load, 0)), Active: v.Active,
			Ratings: int(v.Ratings), GoodRatings: int(v.GoodRatings)}
	}
	return out, nil
}
