package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// DispatchOrder offers an order to a team: the one a coordinator names, or,
// without a name, the best the dispatch policy ranks.
type DispatchOrder struct {
	Envelope
	OrderID uuid.UUID
	// TeamID is the coordinator's choice; optional, empty for automatic
	// ranking.
	TeamID string
}

// DispatchResult is an order command's result plus the offer it made.
type DispatchResult struct {
	OrderResult
	OfferID   uuid.UUID
	TeamID    string
	ExpiresAt time.Time
	// Decision is the ranking recorded with the offer (nil when none was).
	Decision *domain.DispatchDecision
}

// DispatchOrder offers the order for Config.OfferTTL. A named team must be
// registered (else ErrUnknownTeam), active and have the order's category (the
// domain's team errors); the coordinator's choice overrides the ranking and
// capacity, and the ranking the coordinator overrode is recorded with it.
// Without a name the best candidate gets the offer, or ErrNoCandidate when
// there is none. An order already offered is reassigned: its pending offer is
// withdrawn first (domain.Order.Offer).
func (c *Commands) DispatchOrder(ctx context.Context, cmd DispatchOrder) (DispatchResult, error) {
	const command = "DispatchOrder"
	offerIDs := newIDs(cmd.IdempotencyKey, cmd.Actor.Subject, command, domain.OrderStream(cmd.OrderID))
	// The chosen team is held (counted one offer fuller) from the ranking
	// until the offer is in the team view's fold, or nothing was appended.
	var hold *TeamHold
	res, err := c.onOrder(ctx, command, "dispatch", cmd.Envelope, cmd.OrderID,
		func(ctx context.Context, o *domain.Order, now time.Time) ([]domain.Event, error) {
			if cmd.Actor.Role != domain.RoleSystem && cmd.Actor.Role != domain.RoleCoordinator && cmd.Actor.Role != domain.RoleAdmin {
				// Refused before reading the teams, which only staff may see.
				return o.Offer(cmd.Actor, domain.OfferRequest{}, now)
			}
			hold.Release(0)                    // an earlier attempt's choice, decided on an older state
			offerID := offerIDs.named("offer") // random on each call without a key: name it once
			decision, h, err := c.choose(ctx, o, cmd.TeamID, offerID)
			hold = h
			if err != nil {
				return nil, err
			}
			return o.Offer(cmd.Actor, domain.OfferRequest{
				OfferID:   offerID,
				TeamID:    decision.Chosen,
				ExpiresAt: now.Add(c.cfg.OfferTTL),
				Decision:  decision,
			}, now)
		})
	if err != nil || len(res.Events) == 0 {
		hold.Release(0)
	} else {
		hold.Release(res.Position)
	}
	if err != nil {
		return DispatchResult{}, err
	}
	out := DispatchResult{OrderResult: res}
	for _, e := range res.Events {
		if off, ok := e.(domain.OrderOffered); ok {
			out.OfferID, out.TeamID, out.ExpiresAt, out.Decision = off.OfferID, off.TeamID, off.ExpiresAt, off.Decision
		}
	}
	if out.OfferID == uuid.Nil && res.Order != nil {
		// Nothing was appended (the team chosen already holds the offer, or
		// an idempotent replay): answer with the offer that stands.
		if off, ok := res.Order.CurrentOffer(); ok {
			out.OfferID, out.TeamID, out.ExpiresAt = off.ID, off.TeamID, off.ExpiresAt
		}
	}
	return out, nil
}

// choose ranks the teams for the order and picks the named team or the best
// candidate.
//
// With a TeamHolder the chosen team is held (see TeamHolder); the caller
// releases the hold, also when choose fails.
func (c *Commands) choose(ctx context.Context, o *domain.Order, named string, offer uuid.UUID) (*domain.DispatchDecision, *TeamHold, error) {
	if named != "" {
		if !domain.ValidID(named) {
			return nil, nil, &domain.ValidationError{Field: "team_id",
				Reason: fmt.Sprintf("expected 1 to %d letters, digits, '-' or '_', found %q", domain.MaxIDLength, named)}
		}
		t, err := c.loadTeam(ctx, named)
		if err != nil {
			return nil, nil, err
		}
		if t == nil {
			return nil, nil, fmt.Errorf("%w: team_id %q", ErrUnknownTeam, named)
		}
		if err := t.CanTakeOffer(o.Category()); err != nil {
			return nil, nil, err
		}
	}
	var d domain.DispatchDecision
	rank := func(teams []domain.TeamSnapshot) {
		d = domain.RankTeamsSummary(o.DispatchOrder(), teams, c.cfg.DecisionSize)
	}
	var hold *TeamHold
	if v, ok := c.teams.(TeamHolder); ok {
		h, err := v.HoldTeamFor(ctx, o.Category(), offer, func(teams []domain.TeamSnapshot, among []int32, lacking int) string {
			d = domain.RankTeamsSummaryAmong(o.DispatchOrder(), teams, among, lacking, c.cfg.DecisionSize)
			if named != "" {
				return named
			}
			best, _ := d.Best()
			return best
		})
		if err != nil {
			return nil, nil, err
		}
		hold = h
	} else if v, ok := c.teams.(CategoryTeamViewer); ok {
		if err := v.ViewTeamsFor(ctx, o.Category(), func(teams []domain.TeamSnapshot, among []int32, lacking int) {
			d = domain.RankTeamsSummaryAmong(o.DispatchOrder(), teams, among, lacking, c.cfg.DecisionSize)
		}); err != nil {
			return nil, nil, err
		}
	} else if v, ok := c.teams.(TeamViewer); ok {
		if err := v.ViewTeams(ctx, rank); err != nil {
			return nil, nil, err
		}
	} else {
		teams, err := c.teams.Teams(ctx)
		if err != nil {
			return nil, nil, err
		}
		rank(teams)
	}
	if named != "" {
		d.Chosen = named
		return &d, hold, nil
	}
	if _, ok := d.Best(); !ok {
		return nil, hold, fmt.Errorf("%w: no active team offers %s with free capacity (%d teams excluded: %v)",
			ErrNoCandidate, o.Category(), d.ExcludedCount, d.ExcludedByReason)
	}
	return &d, hold, nil
}

// loadTeam rehydrates a team from its stream, or returns nil when it was
// never registered.
func (c *Commands) loadTeam(ctx context.Context, id string) (*domain.Team, error) {
	l, err := c.load(ctx, domain.TeamStream(id))
	if err != nil || len(l.history) == 0 {
		return nil, err
	}
	return domain.RehydrateTeam(l.history)
}
