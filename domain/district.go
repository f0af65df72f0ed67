package domain

import (
	"errors"
	"fmt"
	"strconv"
)

// DemoTeamCount is the number of volunteer teams of the district the demo is
// shaped like.
const DemoTeamCount = 1871

// DistrictTeam is one generated volunteer team: a stable id and the profile
// to register it with.
type DistrictTeam struct {
	ID   string
	Spec TeamSpec
}

// GenerateDistrict makes n volunteer teams for the stations of dir, for
// simulations and the demo. It is pure and deterministic: the same directory,
// n and seed give the same teams on every machine and release (it uses its
// own generator, not math/rand).
//
// The spread is meant to look like a real district: with at least as many
// teams as stations every station has one and the rest fall on stations at
// random (so some have several); with fewer, a random choice of stations has
// one each. Teams offer one to three categories, errands and health often,
// legal help and counseling rarely; capacities run from 1 to 5, mostly 2–3.
// Ids are "t-<station id>-<k>" for the k-th team of a station ("t-<n>" when
// that would be too long); names come from the station's name and the
// team's first skill.
func GenerateDistrict(dir *Directory, n int, seed int64) ([]DistrictTeam, error) {
	if dir == nil {
		return nil, errors.New("generate district: directory: required")
	}
	stations := dir.Stations()
	if len(stations) == 0 {
		return nil, errors.New("generate district: expected a directory with stations, found none")
	}
	if n < 1 {
		return nil, fmt.Errorf("generate district: expected at least 1 team, found %d", n)
	}
	r := splitmix(uint64(seed))

	// Where each team is: a shuffled pass over the stations first, then
	// stations drawn at random.
	order := make([]int, len(stations))
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	at := make([]int, n)
	for i := range at {
		if i < len(order) {
			at[i] = order[i]
		} else {
			at[i] = r.intn(len(stations))
		}
	}

	perStation := make([]int, len(stations))
	out := make([]DistrictTeam, n)
	for i, s := range at {
		st := stations[s]
		perStation[s]++
		k := perStation[s]
		id := "t-" + st.ID + "-" + strconv.Itoa(k)
		if len(id) > MaxIDLength {
			id = "t-" + strconv.Itoa(i+1)
		}
		skills := r.skills()
		name := st.Name + teamNameSuffix[skills[0]]
		if k > 1 {
			name += " " + strconv.Itoa(k) + "队"
		}
		out[i] = DistrictTeam{ID: id, Spec: TeamSpec{
			Name: clipRunes(name, MaxTeamNameRunes), StationID: st.ID, Skills: skills, Capacity: r.capacity(),
		}}
	}
	return out, nil
}

// skillWeights say how often teams offer each category, in a fixed order so
// generation does not depend on map iteration.
var skillWeights = []struct {
	c Category
	w int
}{
	{CategoryErrand, 26}, {CategoryHealth, 20}, {CategoryCulture, 14}, {CategoryEducation, 13},
	{CategoryTheory, 10}, {CategoryScience, 8}, {CategoryLegal, 5}, {CategoryCounseling, 4},
}

var teamNameSuffix = map[Category]string{
	CategoryTheory: "理论宣讲队", CategoryEducation: "助学志愿服务队", CategoryScience: "科普志愿服务队",
	CategoryCulture: "文化志愿服务队", CategoryHealth: "健康志愿服务队", CategoryLegal: "法律援助服务队",
	CategoryErrand: "便民志愿服务队", CategoryCounseling: "心理疏导服务队",
}

// rng is splitmix64: small, fast, and fixed forever, so generated districts
// never change under a Go upgrade.
type rng struct{ s uint64 }

func splitmix(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); the modulo bias is negligible for the
// small n used here.
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// skills draws one to three distinct categories by weight.
func (r *rng) skills() []Category {
	count := 1
	switch x := r.intn(100); {
	case x >= 85:
		count = 3
	case x >= 50:
		count = 2
	}
	out := make([]Category, 0, count)
	taken := map[Category]bool{}
	for len(out) < count {
		total := 0
		for _, sw := range skillWeights {
			if !taken[sw.c] {
				total += sw.w
			}
		}
		x := r.intn(total)
		for _, sw := range skillWeights {
			if taken[sw.c] {
				continue
			}
			if x < sw.w {
				out = append(out, sw.c)
				taken[sw.c] = true
				break
			}
			x -= sw.w
		}
	}
	return out
}

// capacity draws 1–5, mostly 2 or 3.
func (r *rng) capacity() int {
	switch x := r.intn(100); {
	case x < 15:
		return 1
	case x < 45:
		return 2
	case x < 75:
		return 3
	case x < 90:
		return 4
	default:
		return 5
	}
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
