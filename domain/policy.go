package domain

import (
	"math"
	"slices"
)

// PolicyVersion names the ranking rules below. It is recorded in every
// decision; change it whenever the rules or their constants change, so
// auditors can tell which rules placed an order.
const PolicyVersion = "rank-v1"

// The rating prior: a team's good-rating rate is (good + PriorGood) /
// (ratings + PriorGood + PriorBad), a Beta(9, 1) prior of mean 0.9 worth ten
// ratings. The district reports near-100 % good ratings, so an unrated team
// starts near the typical team: one bad rating moves it to 0.82, one good to
// 0.91, and only a run of ratings moves it far.
const (
	PriorGood = 9.0
	PriorBad  = 1.0
)

// Tier is how close a candidate team is to the order.
type Tier string

// Tiers, best first.
const (
	TierStation   Tier = "station"
	TierInstitute Tier = "institute"
	TierDistrict  Tier = "district"
)

func (t Tier) rank() int {
	switch t {
	case TierStation:
		return 0
	case TierInstitute:
		return 1
	default:
		return 2
	}
}

// ExclusionReason says why a team was not a candidate.
type ExclusionReason string

// Exclusion reasons, in the order they are checked: a team gets the first
// that applies.
const (
	ExcludedSuspended      ExclusionReason = "suspended"
	ExcludedLacksSkill     ExclusionReason = "lacks_skill"
	ExcludedDeclinedBefore ExclusionReason = "declined_before"
	ExcludedAtCapacity     ExclusionReason = "at_capacity"
)

// DispatchOrder is what the policy needs of an order.
type DispatchOrder struct {
	Category    Category
	StationID   string
	InstituteID string
	// Refused lists teams that declined this order or let an offer of it
	// expire; they are never candidates again (Order.RefusedTeams).
	Refused []string
}

// TeamSnapshot is a team as the dispatcher sees it, from the teams read model.
type TeamSnapshot struct {
	TeamID      string
	StationID   string
	InstituteID string
	Skills      []Category
	Capacity    int
	// Load is the orders offered to or accepted by the team and not yet
	// finished.
	Load        int
	Active      bool
	Ratings     int
	GoodRatings int
}

// DispatchDecision records why an order went to a team: the policy version,
// the ranked candidates and the teams left out with the reason.
type DispatchDecision struct {
	PolicyVersion string `json:"policy_version"`
	// Candidates are ranked best first.
	Candidates []Candidate `json:"candidates"`
	// Excluded are sorted by tier then team id. Teams of other institutes
	// that lack the skill are not listed, only counted.
	Excluded []Exclusion `json:"excluded,omitempty"`
	// CandidateCount and ExcludedCount count every candidate and every
	// excluded team, listed or not, before Summary trimmed the lists;
	// ExcludedByReason counts every exclusion by reason.
	CandidateCount   int                     `json:"candidate_count"`
	ExcludedCount    int                     `json:"excluded_count"`
	ExcludedByReason map[ExclusionReason]int `json:"excluded_by_reason,omitempty"`
	// Chosen is the team the order was offered to: the best candidate, or a
	// coordinator's choice (which need not be a candidate).
	Chosen string `json:"chosen,omitempty"`
}

// Candidate is one ranked team.
type Candidate struct {
	TeamID   string `json:"team_id"`
	Tier     Tier   `json:"tier"`
	Load     int    `json:"load"`
	Capacity int    `json:"capacity"`
	// GoodRate is the good-rating rate with the prior, rounded to 4 places.
	GoodRate float64 `json:"good_rate"`
	// Score orders candidates exactly as the ranking does (higher is better):
	// 1,000,000 per tier step, minus 1,000 per unit of load, plus up to 999 for
	// the good-rating rate. It is there for people reading the record; ties in
	// score are broken by team id.
	Score float64 `json:"score"`
}

// Exclusion is a team that was not a candidate, with the reason.
type Exclusion struct {
	TeamID string          `json:"team_id"`
	Tier   Tier            `json:"tier"`
	Reason ExclusionReason `json:"reason"`
}

// Best returns the best candidate's team id, or "" and false when there is none.
func (d DispatchDecision) Best() (string, bool) {
	if len(d.Candidates) == 0 {
		return "", false
	}
	return d.Candidates[0].TeamID, true
}

// RankTeams applies the dispatch policy: candidates are active teams with the
// order's category among their skills, free capacity (load < capacity) and no
// earlier refusal of this order. They rank by tier (same station, same
// institute, district), then lower load, then higher good-rating rate with the
// prior, then team id. Team ids must be unique. The result depends only on
// the inputs, not on the order of teams.
func RankTeams(order DispatchOrder, teams []TeamSnapshot) DispatchDecision {
	d := DispatchDecision{PolicyVersion: PolicyVersion}
	for _, t := range teams {
		tier := tierOf(order, t)
		if reason, out := exclusionOf(order, t); out {
			if d.ExcludedByReason == nil {
				d.ExcludedByReason = map[ExclusionReason]int{}
			}
			d.ExcludedByReason[reason]++
			d.ExcludedCount++
			// Far-away teams without the skill are most of a district and say
			// nothing about the choice: counted, not listed.
			if reason != ExcludedLacksSkill || tier != TierDistrict {
				d.Excluded = append(d.Excluded, Exclusion{TeamID: t.TeamID, Tier: tier, Reason: reason})
			}
			continue
		}
		rate := GoodRate(t.Ratings, t.GoodRatings)
		d.Candidates = append(d.Candidates, Candidate{
			TeamID: t.TeamID, Tier: tier, Load: t.Load, Capacity: t.Capacity,
			GoodRate: math.Round(rate*1e4) / 1e4,
			Score:    score(tier, t.Load, rate),
		})
	}
	slices.SortFunc(d.Candidates, compareCandidates)
	slices.SortFunc(d.Excluded, compareExclusions)
	d.CandidateCount = len(d.Candidates)
	if best, ok := d.Best(); ok {
		d.Chosen = best
	}
	return d
}

// DecisionRecordLimit is how many candidates and exclusions an OrderOffered
// records (Summary(DecisionRecordLimit)): enough for an auditor to see why the
// team was chosen, small enough that a district of thousands of teams does not
// put tens of kilobytes in every offer.
const DecisionRecordLimit = 10

// Summary trims the decision for recording in an event: the best n
// candidates and the first n exclusions other than lacking the skill (nearest
// tiers first). The totals and counts by reason stay those of the full
// decision.
func (d DispatchDecision) Summary(n int) DispatchDecision {
	out := d
	out.Candidates = slices.Clone(d.Candidates[:min(n, len(d.Candidates))])
	out.Excluded = nil
	for _, e := range d.Excluded {
		if len(out.Excluded) == n {
			break
		}
		if e.Reason != ExcludedLacksSkill {
			out.Excluded = append(out.Excluded, e)
		}
	}
	if d.ExcludedByReason != nil {
		out.ExcludedByReason = make(map[ExclusionReason]int, len(d.ExcludedByReason))
		for k, v := range d.ExcludedByReason {
			out.ExcludedByReason[k] = v
		}
	}
	return out
}

// GoodRate is a team's good-rating rate (4 or 5 stars) with the prior.
func GoodRate(ratings, good int) float64 {
	return (float64(good) + PriorGood) / (float64(ratings) + PriorGood + PriorBad)
}

func tierOf(o DispatchOrder, t TeamSnapshot) Tier {
	switch {
	case t.StationID == o.StationID:
		return TierStation
	case t.InstituteID == o.InstituteID:
		return TierInstitute
	default:
		return TierDistrict
	}
}

func exclusionOf(o DispatchOrder, t TeamSnapshot) (ExclusionReason, bool) {
	switch {
	case !t.Active:
		return ExcludedSuspended, true
	case !slices.Contains(t.Skills, o.Category):
		return ExcludedLacksSkill, true
	case slices.Contains(o.Refused, t.TeamID):
		return ExcludedDeclinedBefore, true
	case t.Load >= t.Capacity:
		return ExcludedAtCapacity, true
	}
	return "", false
}

func score(t Tier, load int, rate float64) float64 {
	return math.Round((float64(2-t.rank())*1e6-float64(load)*1e3+math.Round(rate*1e4)/1e4*999)*1e4) / 1e4
}
