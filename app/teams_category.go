package app

import (
	"context"
	"slices"

	"github.com/paidan/paidan/domain"
)

// CategoryTeamViewer is a TeamViewer that indexes its teams by skill, so
// automatic dispatch looks only at the teams that could take the order
// (domain.RankTeamsSummaryAmong) instead of the whole district: in the demo
// district a category is a fraction of the 1,871 teams, and ranking them all
// was a tenth of the server's CPU in bench e2e.
type CategoryTeamViewer interface {
	TeamViewer
	// ViewTeamsFor calls fn with every registered team, sorted by id (as
	// ViewTeams), the indexes of those that have category c or are
	// suspended, ascending, and how many others there are (active, lacking
	// c). The same rules as ViewTeams apply to fn.
	ViewTeamsFor(ctx context.Context, c domain.Category, fn func(teams []domain.TeamSnapshot, among []int32, lacking int)) error
}

var _ CategoryTeamViewer = (*LogTeams)(nil)

// ViewTeamsFor lends the fold's snapshots with their index for c.
func (s *LogTeams) ViewTeamsFor(ctx context.Context, c domain.Category, fn func(teams []domain.TeamSnapshot, among []int32, lacking int)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.current(ctx); err != nil {
		return err
	}
	among, ok := s.byCategory[c]
	if !ok {
		among = make([]int32, 0, len(s.snaps)/4)
		for i := range s.snaps {
			if t := &s.snaps[i]; !t.Active || slices.Contains(t.Skills, c) {
				among = append(among, int32(i))
			}
		}
		s.byCategory[c] = among
	}
	fn(s.snaps, among, len(s.snaps)-len(among))
	return nil
}
