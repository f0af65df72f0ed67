// Package projtest generates realistic, deterministic event logs of Paidan's
// order lifecycles for the projections' golden tests and the rebuild
// benchmark. The same Config always gives the same events, IDs and times.
package projtest

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// Config shapes a generated log.
type Config struct {
	// Seed makes the log; the same seed gives the same log.
	Seed uint64
	// Orders is how many order lifecycles to generate; required unless
	// Events is set.
	Orders int
	// Events, when set, ends the log at the first append that brings it to
	// at least this many events; Orders is then only an upper bound
	// (default: no bound).
	Events int
	// Teams is how many teams to register first; optional, default 40.
	Teams int
	// Start is when the first order is placed; optional, default
	// 2026-11-01T08:00:00+08:00.
	Start time.Time
	// Interleave is how many orders progress at once: their events alternate
	// in the log as they would in service. Optional, default 1 (each order's
	// whole lifecycle is one append).
	Interleave int
}

// Append is one atomic append of the generated log.
type Append struct {
	Stream string
	Events []eventstore.EventData
}

func (c *Config) setDefaults() {
	if c.Teams == 0 {
		c.Teams = 40
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Interleave == 0 {
		c.Interleave = 1
	}
	if c.Events > 0 && c.Orders == 0 {
		c.Orders = int(^uint(0) >> 1)
	}
}

type gen struct {
	cfg      Config
	rng      *rand.Rand
	stations []domain.Station
	teams    []team
	ids      uint64
	now      time.Time
}

type team struct {
	id      string
	profile domain.TeamProfile
}

// Generate yields the log's appends in order: the teams' registrations,
// then order lifecycles (with a few team updates, suspensions and
// resumptions among them).
func Generate(cfg Config) iter.Seq[Append] {
	cfg.setDefaults()
	return func(yield func(Append) bool) {
		g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
			stations: domain.DemoDirectory().Stations(), now: cfg.Start}
		for i := 0; i < cfg.Teams; i++ {
			st := g.stations[g.rng.IntN(len(g.stations))]
			cats := domain.Categories()
			skills := []domain.Category{cats[i%len(cats)], cats[(i+3)%len(cats)]}
			t := team{id: fmt.Sprintf("t%04d", i), profile: domain.TeamProfile{
				Name: fmt.Sprintf("志愿服务队 %d", i), StationID: st.ID, InstituteID: st.InstituteID,
				Skills: skills, Capacity: 2 + g.rng.IntN(4)}}
			g.teams = append(g.teams, t)
			if !yield(g.one(domain.TeamStream(t.id), domain.TeamRegistered{TeamID: t.id, TeamProfile: t.profile,
				By: "coordinator-1", RegisteredAt: g.now})) {
				return
			}
		}
		var active []*lifecycle
		next, events := 0, cfg.Teams
		for next < cfg.Orders || len(active) > 0 {
			if cfg.Events > 0 && events >= cfg.Events {
				return
			}
			for len(active) < cfg.Interleave && next < cfg.Orders {
				active = append(active, g.lifecycle(next))
				next++
			}
			i := 0
			if cfg.Interleave > 1 {
				i = g.rng.IntN(len(active))
			}
			lc := active[i]
			var evs []domain.Event
			if cfg.Interleave > 1 {
				evs, lc.events = lc.events[:1], lc.events[1:]
			} else {
				evs, lc.events = lc.events, nil
			}
			events += len(evs)
			if !yield(g.append(lc.stream, evs)) {
				return
			}
			if len(lc.events) == 0 {
				active = append(active[:i], active[i+1:]...)
			}
			if next%97 == 0 && len(lc.events) == 0 {
				if a, ok := g.teamChange(next); ok {
					events++
					if !yield(a) {
						return
					}
				}
			}
		}
	}
}

type lifecycle struct {
	stream string
	events []domain.Event
}

func (g *gen) uuid() uuid.UUID {
	g.ids++
	var b [16]byte
	v := g.cfg.Seed*1_000_003 + g.ids
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
		b[8+i] = byte(g.ids >> (8 * i))
	}
	b[6] = (b[6] & 0x0f) | 0x40 // version 4 layout, deterministic content
	b[8] = (b[8] & 0x3f) | 0x80
	return uuid.UUID(b)
}

func (g *gen) pickTeam(cat domain.Category, not string) team {
	for range 50 {
		t := g.teams[g.rng.IntN(len(g.teams))]
		if t.id == not {
			continue
		}
		for _, s := range t.profile.Skills {
			if s == cat {
				return t
			}
		}
	}
	return g.teams[g.rng.IntN(len(g.teams))]
}

func (g *gen) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+g.rng.IntN(hi-lo+1))*time.Minute + time.Duration(g.rng.IntN(60))*time.Second
}

func (g *gen) stars() int {
	switch p := g.rng.IntN(100); {
	case p < 62:
		return 5
	case p < 87:
		return 4
	case p < 94:
		return 3
	case p < 97:
		return 2
	default:
		return 1
	}
}

// lifecycle draws one order's whole story.
func (g *gen) lifecycle(n int) *lifecycle {
	id := g.uuid()
	st := g.stations[g.rng.IntN(len(g.stations))]
	cats := domain.Categories()
	cat := cats[g.rng.IntN(len(cats))]
	g.now = g.now.Add(time.Duration(20+g.rng.IntN(40)) * time.Second)
	t := g.now
	var evs []domain.Event
	evs = append(evs, domain.OrderPlaced{OrderID: id, Resident: fmt.Sprintf("resident-%d", g.rng.IntN(5000)),
		Category: cat, Title: "上门服务 " + string(cat), Details: "请在工作日上午联系", StationID: st.ID,
		InstituteID: st.InstituteID, Contact: "138****0000", PlacedAt: t})
	attempt := 0
	var holder string
	offer := func(automatic bool) domain.OrderOffered {
		attempt++
		tm := g.pickTeam(cat, holder)
		holder = tm.id
		t = t.Add(g.minutes(0, 3))
		o := domain.OrderOffered{OrderID: id, OfferID: g.uuid(), TeamID: tm.id, ExpiresAt: t.Add(10 * time.Minute),
			OfferedAt: t, Automatic: automatic, Attempt: attempt, Category: cat, StationID: st.ID, InstituteID: st.InstituteID,
			Decision: &domain.DispatchDecision{PolicyVersion: domain.PolicyVersion, Chosen: tm.id, CandidateCount: 3,
				Candidates: []domain.Candidate{
					{TeamID: tm.id, Tier: domain.TierStation, Load: 1, Capacity: tm.profile.Capacity, GoodRate: 0.9412, Score: 2000940},
					{TeamID: g.teams[(n+1)%len(g.teams)].id, Tier: domain.TierInstitute, Load: 2, Capacity: 4, GoodRate: 0.8811, Score: 998881},
					{TeamID: g.teams[(n+2)%len(g.teams)].id, Tier: domain.TierDistrict, Load: 0, Capacity: 3, GoodRate: 0.75, Score: 750},
				}}}
		if !automatic {
			o.By = "coordinator-1"
		}
		evs = append(evs, o)
		return o
	}
	refuse := func(kind int) {
		o := evs[len(evs)-1].(domain.OrderOffered)
		t = t.Add(g.minutes(1, 9))
		switch kind {
		case 0:
			evs = append(evs, domain.OfferDeclined{OrderID: id, OfferID: o.OfferID, TeamID: o.TeamID, By: "member-" + o.TeamID,
				Reason: "本周人手不足", DeclinedAt: t})
		case 1:
			evs = append(evs, domain.OfferExpired{OrderID: id, OfferID: o.OfferID, TeamID: o.TeamID, ExpiredAt: o.ExpiresAt})
			t = o.ExpiresAt
		default:
			evs = append(evs, domain.OfferWithdrawn{OrderID: id, OfferID: o.OfferID, TeamID: o.TeamID, By: "coordinator-1",
				Reason: "改派", WithdrawnAt: t})
		}
		holder = ""
	}
	finish := func() {
		o := evs[len(evs)-1].(domain.OrderOffered)
		t = t.Add(g.minutes(1, 8))
		evs = append(evs, domain.OfferAccepted{OrderID: id, OfferID: o.OfferID, TeamID: o.TeamID, By: "member-" + o.TeamID, AcceptedAt: t})
		if g.rng.IntN(100) < 3 {
			t = t.Add(g.minutes(5, 60))
			evs = append(evs, domain.OrderCancelled{OrderID: id, By: "coordinator-1", ByRole: domain.RoleCoordinator,
				Reason: "居民已自行解决", TeamID: o.TeamID, CancelledAt: t})
			return
		}
		if g.rng.IntN(2) == 0 {
			t = t.Add(g.minutes(10, 120))
			evs = append(evs, domain.ServiceStarted{OrderID: id, TeamID: o.TeamID, StartedAt: t})
		}
		t = t.Add(g.minutes(30, 240))
		evs = append(evs, domain.OrderCompleted{OrderID: id, TeamID: o.TeamID, VolunteerHours: float64(1+g.rng.IntN(8)) / 2,
			Notes: "已完成", Category: cat, StationID: st.ID, InstituteID: st.InstituteID, CompletedAt: t})
		if g.rng.IntN(100) < 86 {
			t = t.Add(g.minutes(5, 600))
			evs = append(evs, domain.OrderRated{OrderID: id, TeamID: o.TeamID, Stars: g.stars(), Comment: "感谢志愿者",
				Category: cat, StationID: st.ID, InstituteID: st.InstituteID, RatedAt: t})
		}
	}
	switch p := g.rng.IntN(100); {
	case p < 70:
		offer(true)
		finish()
	case p < 80:
		offer(true)
		refuse(0)
		offer(true)
		finish()
	case p < 85:
		offer(true)
		refuse(1)
		offer(true)
		finish()
	case p < 87:
		offer(true)
		refuse(2)
		offer(false)
		finish()
	case p < 92:
		o := offer(true)
		t = t.Add(g.minutes(1, 5))
		evs = append(evs, domain.OrderCancelled{OrderID: id, By: "resident", ByRole: domain.RoleResident,
			Reason: "时间冲突", TeamID: o.TeamID, CancelledAt: t})
	case p < 95:
		offer(true)
		refuse(0)
		offer(true)
		refuse(1)
		offer(true)
		refuse(0)
		t = t.Add(time.Second)
		evs = append(evs, domain.OrderEscalated{OrderID: id, Reason: "max offers reached", Attempts: attempt, EscalatedAt: t})
		if g.rng.IntN(2) == 0 {
			offer(false)
			finish()
		}
	default:
		t = t.Add(g.minutes(1, 30))
		evs = append(evs, domain.OrderCancelled{OrderID: id, By: "resident", ByRole: domain.RoleResident,
			Reason: "不需要了", CancelledAt: t})
	}
	return &lifecycle{stream: domain.OrderStream(id), events: evs}
}

// teamChange updates, suspends or resumes a team now and then.
func (g *gen) teamChange(n int) (Append, bool) {
	i := (n / 97) % len(g.teams)
	t := &g.teams[i]
	switch (n / 97) % 3 {
	case 0:
		t.profile.Capacity++
		return g.one(domain.TeamStream(t.id), domain.TeamUpdated{TeamID: t.id, TeamProfile: t.profile, By: "coordinator-1", UpdatedAt: g.now}), true
	case 1:
		return g.one(domain.TeamStream(t.id), domain.TeamSuspended{TeamID: t.id, TeamProfile: t.profile, By: "coordinator-1",
			Reason: "队伍休整", SuspendedAt: g.now}), true
	default:
		u := g.teams[((n/97)-1)%len(g.teams)] // the team suspended last time

		return g.one(domain.TeamStream(u.id), domain.TeamResumed{TeamID: u.id, TeamProfile: u.profile, By: "coordinator-1", ResumedAt: g.now}), true
	}
}

func (g *gen) one(stream string, e domain.Event) Append { return g.append(stream, []domain.Event{e}) }

func (g *gen) append(stream string, evs []domain.Event) Append {
	a := Append{Stream: stream}
	for _, e := range evs {
		typ, data, err := domain.MarshalEvent(e)
		if err != nil {
			panic(fmt.Sprintf("projtest: marshal %T: %v", e, err)) // generator bug
		}
		md, err := domain.NewMetadata(typ, domain.Actor{Subject: "projtest", Role: domain.RoleSystem},
			g.uuid().String(), "", "").Marshal()
		if err != nil {
			panic(fmt.Sprintf("projtest: metadata: %v", err))
		}
		a.Events = append(a.Events, eventstore.EventData{ID: g.uuid(), Type: typ, Data: data, Metadata: md})
	}
	return a
}

// Write appends the generated log to store, with up to `parallel` appends in
// flight (1 keeps the generated order exactly; more lets a group-committing
// store batch them, and is only used without Interleave, where each order is
// one append). It returns the number of events written.
func Write(ctx context.Context, store eventstore.Store, cfg Config, parallel int) (int, error) {
	if parallel < 1 || cfg.Interleave > 1 {
		parallel = 1
	}
	work := make(chan Append, parallel*2)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		total int
	)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range work {
				if _, err := store.Append(ctx, a.Stream, eventstore.Any(), a.Events...); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("append to %s: %w", a.Stream, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for a := range Generate(cfg) {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		total += len(a.Events)
		work <- a
	}
	close(work)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return total, first
}
