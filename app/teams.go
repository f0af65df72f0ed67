package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// TeamSource gives automatic dispatch its view of the teams: profile,
// whether active, current load and ratings. The teams read model implements
// it in production; LogTeams is a self-contained fallback.
type TeamSource interface {
	// Teams returns every registered team. It must reflect at least every
	// event committed before the call began, so an order is never offered on
	// a view older than the command's own read; implementations must be safe
	// for concurrent use.
	Teams(ctx context.Context) ([]domain.TeamSnapshot, error)
}

// LogTeams is a TeamSource that folds the global log itself: team events give
// the profiles, order events the loads (offered or accepted, not finished)
// and the ratings. Each call first reads whatever was committed since the
// previous one, so it is always current; the first call reads the whole log.
type LogTeams struct {
	store eventstore.Store

	mu    sync.Mutex
	from  eventstore.Position // the next read of $all starts here (inclusive)
	teams map[string]*domain.TeamSnapshot
	load  map[string]int
	rates map[string][2]int // ratings, good ratings
}

var _ TeamSource = (*LogTeams)(nil)

// NewLogTeams returns a TeamSource over the store's global log.
func NewLogTeams(store eventstore.Store) (*LogTeams, error) {
	if store == nil {
		return nil, errors.New("team source: store: required")
	}
	return &LogTeams{store: store, teams: map[string]*domain.TeamSnapshot{},
		load: map[string]int{}, rates: map[string][2]int{}}, nil
}

// teamEventTypes are the event types the fold reads; others are skipped
// without decoding.
var teamEventTypes = map[string]bool{
	domain.EventTypeTeamRegistered: true, domain.EventTypeTeamUpdated: true,
	domain.EventTypeTeamSuspended: true, domain.EventTypeTeamResumed: true,
	domain.EventTypeOrderOffered: true, domain.EventTypeOfferDeclined: true,
	domain.EventTypeOfferExpired: true, domain.EventTypeOfferWithdrawn: true,
	domain.EventTypeOrderCompleted: true, domain.EventTypeOrderCancelled: true,
	domain.EventTypeOrderRated: true,
}

// Teams returns every registered team, sorted by id.
func (s *LogTeams) Teams(ctx context.Context) ([]domain.TeamSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	out := make([]domain.TeamSnapshot, 0, len(s.teams))
	for id, t := range s.teams {
		snap := *t
		snap.Skills = slices.Clone(t.Skills)
		snap.Load = max(s.load[id], 0)
		snap.Ratings, snap.GoodRatings = s.rates[id][0], s.rates[id][1]
		out = append(out, snap)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TeamID < out[j].TeamID })
	return out, nil
}

func (s *LogTeams) catchUp(ctx context.Context) error {
	for {
		page, err := s.store.ReadAll(ctx, eventstore.ReadAllOptions{From: s.from, Limit: readPage})
		if err != nil {
			return fmt.Errorf("team source: read the global log from %d: %w", s.from, err)
		}
		for _, rec := range page {
			if err := s.fold(rec); err != nil {
				return err
			}
			s.from = rec.Position + 1
		}
		if len(page) < readPage {
			return nil
		}
	}
}

func (s *LogTeams) fold(rec eventstore.RecordedEvent) error {
	if !teamEventTypes[rec.Type] {
		return nil
	}
	e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
	if err != nil {
		return fmt.Errorf("team source: %s at position %d: %w", rec.StreamID, rec.Position, err)
	}
	switch e := e.(type) {
	case domain.TeamRegistered:
		s.profile(e.TeamID, e.TeamProfile, true)
	case domain.TeamUpdated:
		s.profile(e.TeamID, e.TeamProfile, s.active(e.TeamID))
	case domain.TeamSuspended:
		s.profile(e.TeamID, e.TeamProfile, false)
	case domain.TeamResumed:
		s.profile(e.TeamID, e.TeamProfile, true)
	case domain.OrderOffered:
		s.load[e.TeamID]++
	case domain.OfferDeclined:
		s.load[e.TeamID]--
	case domain.OfferExpired:
		s.load[e.TeamID]--
	case domain.OfferWithdrawn:
		s.load[e.TeamID]--
	case domain.OrderCompleted:
		s.load[e.TeamID]--
	case domain.OrderCancelled:
		if e.TeamID != "" {
			s.load[e.TeamID]--
		}
	case domain.OrderRated:
		r := s.rates[e.TeamID]
		r[0]++
		if e.Stars >= 4 {
			r[1]++
		}
		s.rates[e.TeamID] = r
	}
	return nil
}

func (s *LogTeams) active(id string) bool {
	t, ok := s.teams[id]
	return !ok || t.Active
}

func (s *LogTeams) profile(id string, p domain.TeamProfile, active bool) {
	s.teams[id] = &domain.TeamSnapshot{TeamID: id, StationID: p.StationID, InstituteID: p.InstituteID,
		Skills: slices.Clone(p.Skills), Capacity: p.Capacity, Active: active}
}
