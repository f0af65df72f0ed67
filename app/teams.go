package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/google/uuid"

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

	mu   sync.Mutex
	from eventstore.Position // the next read of $all starts here (inclusive)
	// snaps are the teams as Teams returns them, sorted by id once sorted
	// is true, with load and ratings kept current by the fold, so a call
	// copies them instead of building and sorting 1,871 snapshots (the
	// demo district) for every automatic offer. index finds a team in snaps.
	snaps  []domain.TeamSnapshot
	index  map[string]int
	sorted bool
	load   map[string]int
	rates  map[string][2]int // ratings, good ratings
	// byCategory indexes snaps for ViewTeamsFor, built per category on
	// first use and dropped whenever a profile changes or snaps is sorted.
	byCategory map[domain.Category][]int32
	// holds are the teams chosen for offers not yet folded, by offer id.
	holds map[uuid.UUID]*TeamHold
}

var _ TeamSource = (*LogTeams)(nil)

// NewLogTeams returns a TeamSource over the store's global log.
func NewLogTeams(store eventstore.Store) (*LogTeams, error) {
	if store == nil {
		return nil, errors.New("team source: store: required")
	}
	return &LogTeams{store: store, index: map[string]int{}, sorted: true,
		load: map[string]int{}, rates: map[string][2]int{}, byCategory: map[domain.Category][]int32{},
		holds: map[uuid.UUID]*TeamHold{}}, nil
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

// Teams returns every registered team, sorted by id. The snapshots are the
// caller's: their Skills share one backing array of their own, not the
// fold's.
func (s *LogTeams) Teams(ctx context.Context) ([]domain.TeamSnapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.current(ctx); err != nil {
		return nil, err
	}
	out := slices.Clone(s.snaps)
	n := 0
	for i := range out {
		n += len(out[i].Skills)
	}
	skills := make([]domain.Category, 0, n)
	for i := range out {
		from := len(skills)
		skills = append(skills, out[i].Skills...)
		out[i].Skills = skills[from:len(skills):len(skills)]
	}
	return out, nil
}

// TeamViewer is a TeamSource that can lend its snapshots instead of copying
// them. Automatic dispatch ranks through it when the source offers it: with
// 1,871 teams the copy Teams makes costs more than the ranking.
type TeamViewer interface {
	TeamSource
	// ViewTeams calls fn with every registered team, sorted by id, as of at
	// least every event committed before the call began. fn runs under the
	// source's lock: it must not modify the snapshots or their Skills, keep
	// any reference to them after it returns, or call the source.
	ViewTeams(ctx context.Context, fn func(teams []domain.TeamSnapshot)) error
}

var _ TeamViewer = (*LogTeams)(nil)

// ViewTeams lends the fold's own snapshots to fn (TeamViewer).
func (s *LogTeams) ViewTeams(ctx context.Context, fn func(teams []domain.TeamSnapshot)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.current(ctx); err != nil {
		return err
	}
	fn(s.snaps)
	return nil
}

// current catches up with the log and puts the snapshots in id order.
func (s *LogTeams) current(ctx context.Context) error {
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	if !s.sorted {
		sort.Slice(s.snaps, func(i, j int) bool { return s.snaps[i].TeamID < s.snaps[j].TeamID })
		for i := range s.snaps {
			s.index[s.snaps[i].TeamID] = i
		}
		s.sorted = true
		clear(s.byCategory)
	}
	return nil
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
		if h := s.holds[e.OfferID]; h != nil {
			h.end() // the offer counts through its event from now on
		}
		s.addLoad(e.TeamID, 1)
	case domain.OfferDeclined:
		s.addLoad(e.TeamID, -1)
	case domain.OfferExpired:
		s.addLoad(e.TeamID, -1)
	case domain.OfferWithdrawn:
		s.addLoad(e.TeamID, -1)
	case domain.OrderCompleted:
		s.addLoad(e.TeamID, -1)
	case domain.OrderCancelled:
		if e.TeamID != "" {
			s.addLoad(e.TeamID, -1)
		}
	case domain.OrderRated:
		r := s.rates[e.TeamID]
		r[0]++
		if e.Stars >= 4 {
			r[1]++
		}
		s.rates[e.TeamID] = r
		if i, ok := s.index[e.TeamID]; ok {
			s.snaps[i].Ratings, s.snaps[i].GoodRatings = r[0], r[1]
		}
	}
	return nil
}

// addLoad changes a team's load; a snapshot never shows it below zero.
func (s *LogTeams) addLoad(id string, d int) {
	s.load[id] += d
	if i, ok := s.index[id]; ok {
		s.snaps[i].Load = max(s.load[id], 0)
	}
}

func (s *LogTeams) active(id string) bool {
	i, ok := s.index[id]
	return !ok || s.snaps[i].Active
}

// profile records a team's profile. Its skills are cloned and never changed
// in place afterwards (a new profile gets a new slice).
func (s *LogTeams) profile(id string, p domain.TeamProfile, active bool) {
	skills := make([]domain.Category, len(p.Skills))
	for i, c := range p.Skills {
		skills[i] = internCategory(c)
	}
	clear(s.byCategory)
	snap := domain.TeamSnapshot{TeamID: id, StationID: p.StationID, InstituteID: p.InstituteID,
		Skills: skills, Capacity: p.Capacity, Active: active,
		Load: max(s.load[id], 0), Ratings: s.rates[id][0], GoodRatings: s.rates[id][1]}
	if i, ok := s.index[id]; ok {
		s.snaps[i] = snap
		return
	}
	if n := len(s.snaps); n > 0 && s.snaps[n-1].TeamID > id {
		s.sorted = false
	}
	s.index[id] = len(s.snaps)
	s.snaps = append(s.snaps, snap)
}

// categories are the known categories, whose text lives in the binary.
var categories = domain.Categories()

// internCategory returns the known category equal to c, so that the skills
// of every team share a few strings instead of each holding its own copy
// decoded from the log: ranking compares the order's category with every
// skill of every team, and on a busy server scattered copies miss the CPU
// cache (the comparisons were most of the ranking's time in bench e2e).
func internCategory(c domain.Category) domain.Category {
	for _, k := range categories {
		if k == c {
			return k
		}
	}
	return c
}
