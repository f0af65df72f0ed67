package domain

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// compareCandidates is the ranking's order: tier, then lower load, then
// higher good-rating rate, then team id. With unique team ids it is total.
func compareCandidates(a, b Candidate) int {
	if c := cmp.Compare(a.Tier.rank(), b.Tier.rank()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Load, b.Load); c != 0 {
		return c
	}
	if c := cmp.Compare(b.GoodRate, a.GoodRate); c != 0 {
		return c
	}
	return strings.Compare(a.TeamID, b.TeamID)
}

// compareExclusions orders exclusions by tier, then team id.
func compareExclusions(a, b Exclusion) int {
	if c := cmp.Compare(a.Tier.rank(), b.Tier.rank()); c != 0 {
		return c
	}
	return strings.Compare(a.TeamID, b.TeamID)
}

// RankTeamsSummary returns what RankTeams(order, teams).Summary(n) returns,
// without ranking every team: it keeps only the best n candidates and the
// first n exclusions a summary records, and counts the rest. Automatic
// dispatch ranks a whole district (1,871 teams in the demo) for every offer
// and records ten of each; sorting every candidate to keep ten was most of
// the policy's cost. A negative n counts as 0.
func RankTeamsSummary(order DispatchOrder, teams []TeamSnapshot, n int) DispatchDecision {
	return rankSummary(order, teams, nil, 0, n)
}

// RankTeamsSummaryAmong returns what RankTeamsSummary(order, teams, n)
// returns, looking only at the teams among names (indexes into teams, in
// ascending order): a caller that indexes its teams by skill passes those
// that have the order's category or are suspended, and the number of the
// others, which are active and lack the skill (they are counted as excluded
// for it, and an exclusion for a missing skill is never recorded by name).
func RankTeamsSummaryAmong(order DispatchOrder, teams []TeamSnapshot, among []int32, lacking, n int) DispatchDecision {
	if among == nil {
		among = []int32{}
	}
	return rankSummary(order, teams, among, lacking, n)
}

// rankSummary ranks teams[among] (all of teams when among is nil), with
// lacking more teams known to lack the skill.
func rankSummary(order DispatchOrder, teams []TeamSnapshot, among []int32, lacking, n int) DispatchDecision {
	n = max(n, 0)
	d := DispatchDecision{PolicyVersion: PolicyVersion}
	// The best candidate is chosen even when none is recorded (n = 0).
	var cands []Candidate
	var excl []Exclusion
	// Counted in an array: a map increment per team was a third of the cost.
	var counts [len(exclusionReasons)]int
	counts[reasonIndex(ExcludedLacksSkill)] = lacking
	d.ExcludedCount = lacking
	count := len(teams)
	if among != nil {
		count = len(among)
	}
	for k := range count {
		i := k
		if among != nil {
			i = int(among[k])
		}
		t := &teams[i]
		tier := tierOf(order, *t)
		if reason, out := exclusionOf(order, *t); out {
			if i := reasonIndex(reason); i < len(exclusionReasons) {
				counts[i]++
			} else {
				if d.ExcludedByReason == nil {
					d.ExcludedByReason = map[ExclusionReason]int{}
				}
				d.ExcludedByReason[reason]++
			}
			d.ExcludedCount++
			if reason != ExcludedLacksSkill {
				excl = keepBest(excl, Exclusion{TeamID: t.TeamID, Tier: tier, Reason: reason}, n, compareExclusions)
			}
			continue
		}
		d.CandidateCount++
		if k := max(n, 1); len(cands) == k {
			// Ranked after the last one kept whatever its rate: skip computing
			// the rate and score (most of a district, once the kept ones are
			// from the order's institute).
			last := cands[k-1]
			if r := tier.rank(); r > last.Tier.rank() || (r == last.Tier.rank() && t.Load > last.Load) {
				continue
			}
		}
		rate := GoodRate(t.Ratings, t.GoodRatings)
		cands = keepBest(cands, Candidate{
			TeamID: t.TeamID, Tier: tier, Load: t.Load, Capacity: t.Capacity,
			GoodRate: roundRate(rate),
			Score:    score(tier, t.Load, rate),
		}, max(n, 1), compareCandidates)
	}
	if len(cands) > 0 {
		d.Chosen = cands[0].TeamID
		d.Candidates = cands[:min(n, len(cands)):min(n, len(cands))]
	}
	d.Excluded = excl
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if d.ExcludedByReason == nil {
			d.ExcludedByReason = map[ExclusionReason]int{}
		}
		d.ExcludedByReason[exclusionReasons[i]] = c
	}
	return d
}

// exclusionReasons are the reasons exclusionOf gives, for counting.
var exclusionReasons = [...]ExclusionReason{ExcludedSuspended, ExcludedLacksSkill, ExcludedDeclinedBefore, ExcludedAtCapacity}

// reasonIndex is r's place in exclusionReasons, or its length for a reason
// not listed there (counted in the map directly).
func reasonIndex(r ExclusionReason) int {
	for i, x := range exclusionReasons {
		if x == r {
			return i
		}
	}
	return len(exclusionReasons)
}

// keepBest inserts v into top, sorted by compare and at most n long, when
// it is among the n smallest seen.
func keepBest[T any](top []T, v T, n int, compare func(a, b T) int) []T {
	if n == 0 || (len(top) == n && compare(v, top[n-1]) >= 0) {
		return top
	}
	i, _ := slices.BinarySearchFunc(top, v, compare)
	if len(top) < n {
		var zero T
		top = append(top, zero)
	}
	copy(top[i+1:], top[i:len(top)-1])
	top[i] = v
	return top
}

// roundRate is a good-rating rate as a Candidate records it.
func roundRate(r float64) float64 { return math.Round(r*1e4) / 1e4 }
