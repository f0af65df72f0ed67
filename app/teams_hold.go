package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// TeamHolder is a CategoryTeamViewer that can count an offer against a team
// from the moment the team is chosen, before the offer is in the log.
//
// The dispatcher handles several orders at once. Without holds, two workers
// could both rank a team with one free place before either offer was
// appended, and both offer it: the team then held more offers than its
// capacity. A hold makes the second ranking see the first choice.
type TeamHolder interface {
	CategoryTeamViewer
	// HoldTeamFor calls choose as ViewTeamsFor calls fn, under the same
	// lock; the team id choose returns (none: "") carries one more offer in
	// every view until the OrderOffered with the id offer is in the view,
	// or the hold is released without an append.
	HoldTeamFor(ctx context.Context, c domain.Category, offer uuid.UUID, choose func(teams []domain.TeamSnapshot, among []int32, lacking int) string) (*TeamHold, error)
}

var _ TeamHolder = (*LogTeams)(nil)

// TeamHold is one chosen team's place, counted until its offer is folded or
// it is released unused.
type TeamHold struct {
	s     *LogTeams
	team  string
	offer uuid.UUID
	done  bool
}

// HoldTeamFor ranks through choose and holds the team it picks (TeamHolder).
// A hold is keyed by its offer's id, not by a log position: the offer may be
// folded before its command learns where it was stored, and counting it
// twice meanwhile would refuse orders a team still has room for.
func (s *LogTeams) HoldTeamFor(ctx context.Context, c domain.Category, offer uuid.UUID, choose func(teams []domain.TeamSnapshot, among []int32, lacking int) string) (*TeamHold, error) {
	h := &TeamHold{s: s, offer: offer}
	err := s.ViewTeamsFor(ctx, c, func(teams []domain.TeamSnapshot, among []int32, lacking int) {
		if h.team = choose(teams, among, lacking); h.team != "" {
			// Still under the lock ViewTeamsFor holds.
			if old := s.holds[offer]; old != nil {
				old.end()
			}
			s.holds[offer] = h
			s.addLoad(h.team, 1)
		}
	})
	if h.team == "" { // choose picked none, or was not called (err)
		h.done = true
	}
	return h, err
}

// Release tells the hold how its command ended: at is the global position
// of the command's last appended event, 0 when nothing was appended. The
// hold ends now if nothing was appended, or if the view has already folded
// past at (an append absorbed as the retry of one folded before the hold
// began is never folded again); otherwise when the fold meets the offer.
// Releasing twice, or a nil hold, does nothing.
func (h *TeamHold) Release(at eventstore.Position) {
	if h == nil {
		return
	}
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if at == 0 || h.s.from > at {
		h.end()
	}
}

// end stops counting the hold. The caller holds s.mu.
func (h *TeamHold) end() {
	if h.done {
		return
	}
	h.done = true
	h.s.addLoad(h.team, -1)
	if h.s.holds[h.offer] == h {
		delete(h.s.holds, h.offer)
	}
}
