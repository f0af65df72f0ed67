package simulate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// Simulator plays a district's residents and teams through a Driver.
type Simulator struct {
	drv      Driver
	dir      *domain.Directory
	cfg      Config
	log      *slog.Logger
	stations []domain.Station

	c     counters
	mu    sync.Mutex
	start time.Time
}

// New builds a simulator of the district dir through drv. logger is
// optional (default slog.Default()).
func New(drv Driver, dir *domain.Directory, cfg Config, logger *slog.Logger) (*Simulator, error) {
	var errs []error
	if drv == nil {
		errs = append(errs, errors.New("simulate: driver: required"))
	}
	if dir == nil || len(dir.Stations()) == 0 {
		errs = append(errs, errors.New("simulate: directory: required, with stations"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	return &Simulator{drv: drv, dir: dir, cfg: cfg, log: logger.With("component", "simulate"),
		stations: dir.Stations(), start: time.Now()}, nil
}

// Setup registers the generated district's teams (Config.Teams, Seed) and
// returns how many. Teams registered by an earlier run are taken as they
// are, so Setup may run on every start.
func (s *Simulator) Setup(ctx context.Context) (int, error) {
	teams, err := domain.GenerateDistrict(s.dir, s.cfg.Teams, s.cfg.Seed)
	if err != nil {
		return 0, fmt.Errorf("simulate: %w", err)
	}
	jobs := make(chan domain.DistrictTeam)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range min(s.cfg.Concurrency, len(teams)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				if _, err := s.drv.RegisterTeam(ctx, t); err != nil {
					select {
					case errc <- fmt.Errorf("simulate: register team %s: %w", t.ID, err):
					default:
					}
				}
			}
		}()
	}
	n := 0
feed:
	for _, t := range teams {
		select {
		case jobs <- t:
			n++
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return n, err
}

// Stats returns the counters so far; safe to call while Run runs.
func (s *Simulator) Stats() Stats {
	s.mu.Lock()
	start := s.start
	s.mu.Unlock()
	return s.c.snapshot(time.Since(start))
}

// Run places Config.Orders orders (until ctx ends when zero) and plays each
// to its end. It returns the final counters; with a fixed number of orders a
// cancelled ctx is an error, in endless mode it is how Run stops.
func (s *Simulator) Run(ctx context.Context) (Stats, error) {
	s.mu.Lock()
	s.start = time.Now()
	s.mu.Unlock()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range s.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				s.order(ctx, i)
			}
		}()
	}
	var pace <-chan time.Time
	if s.cfg.OrderRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / s.cfg.OrderRate))
		defer t.Stop()
		pace = t.C
	}
feed:
	for i := 0; s.cfg.Orders == 0 || i < s.cfg.Orders; i++ {
		if pace != nil {
			select {
			case <-pace:
			case <-ctx.Done():
				break feed
			}
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	st := s.Stats()
	if s.cfg.Orders > 0 && ctx.Err() != nil {
		return st, ctx.Err()
	}
	return st, nil
}

// order plays the i-th order from placing to its end.
func (s *Simulator) order(ctx context.Context, i int) {
	r := rand.New(rand.NewPCG(uint64(s.cfg.Seed), uint64(i)))
	resident := fmt.Sprintf("sim-resident-%d", r.IntN(s.cfg.Residents))
	st := s.stations[r.IntN(len(s.stations))]
	cat := pickCategory(r)
	id, err := s.drv.PlaceOrder(ctx, resident, NewOrder{Category: cat, Title: orderTitles[cat],
		Details: "simulated order " + fmt.Sprint(i), StationID: st.ID, Contact: "138-0000-" + fmt.Sprintf("%04d", i%10000)})
	if err != nil {
		s.fail(ctx, "place an order", uuid.Nil, err)
		return
	}
	s.c.placed.Add(1)
	o := &play{s: s, r: r, id: id, resident: resident, answered: map[uuid.UUID]bool{},
		cancel: r.Float64() < s.cfg.Cancel, deadline: time.Now().Add(s.cfg.OrderTimeout)}
	o.run(ctx)
}

// play is one order's progress.
type play struct {
	s        *Simulator
	r        *rand.Rand
	id       uuid.UUID
	resident string
	answered map[uuid.UUID]bool
	cancel   bool
	offered  bool
	deadline time.Time
}

func (p *play) run(ctx context.Context) {
	s, cfg := p.s, p.s.cfg
	for {
		v, err := s.drv.Order(ctx, p.id)
		if err != nil {
			s.fail(ctx, "read the order", p.id, err)
			return
		}
		if v.Offers > 0 && !p.offered {
			p.offered = true
			s.c.offered.Add(1)
		}
		if p.cancel && (v.Status == domain.StatusPlaced || v.Status == domain.StatusOffered) {
			p.cancel = false
			if !p.pause(ctx, cfg.Think) {
				return
			}
			err := s.drv.Cancel(ctx, p.resident, p.id, "no longer needed")
			if err == nil {
				s.c.cancelled.Add(1)
				p.finish(ctx)
				return
			}
			if !lostRace(err) {
				s.fail(ctx, "cancel", p.id, err)
				return
			}
			continue
		}
		switch v.Status {
		case domain.StatusEscalated:
			s.c.escalated.Add(1)
			p.finish(ctx)
			return
		case domain.StatusCancelled:
			s.c.cancelled.Add(1)
			p.finish(ctx)
			return
		case domain.StatusOffered:
			if !p.answered[v.Offer.ID] {
				p.answered[v.Offer.ID] = true
				if done := p.answer(ctx, v.Offer); done {
					return
				}
				continue
			}
		case domain.StatusAccepted, domain.StatusInService:
			// Accepted, though the answer was lost on the way: go on.
			p.serve(ctx, v.AcceptedTeam, v.Status == domain.StatusInService)
			return
		case domain.StatusCompleted:
			s.c.completed.Add(1)
			p.rate(ctx)
			return
		case domain.StatusRated:
			s.c.completed.Add(1)
			p.finish(ctx)
			return
		}
		if time.Now().After(p.deadline) {
			s.c.stuck.Add(1)
			s.log.Warn("order did not end in time", "order", p.id, "status", v.Status, "offers", v.Offers)
			return
		}
		if !p.pause(ctx, -cfg.Poll) {
			return
		}
	}
}

// answer plays the offered team; it reports whether the order is done.
func (p *play) answer(ctx context.Context, off domain.Offer) bool {
	s, cfg := p.s, p.s.cfg
	if !p.pause(ctx, cfg.Think) {
		return true
	}
	switch x := p.r.Float64(); {
	case x < cfg.Accept:
		err := s.drv.Accept(ctx, off.TeamID, p.id, off.ID)
		if lostRace(err) {
			return false
		}
		if err != nil {
			s.fail(ctx, "accept", p.id, err)
			return true
		}
		s.c.accepted.Add(1)
		p.serve(ctx, off.TeamID, false)
		return true
	case x < cfg.Accept+cfg.Decline:
		err := s.drv.Decline(ctx, off.TeamID, p.id, off.ID, "all our volunteers are busy")
		if lostRace(err) {
			return false
		}
		if err != nil {
			s.fail(ctx, "decline", p.id, err)
			return true
		}
		s.c.declined.Add(1)
	default:
		s.c.ignored.Add(1)
	}
	return false
}

// serve plays the accepting team and then the resident's rating.
func (p *play) serve(ctx context.Context, team string, started bool) {
	s, cfg := p.s, p.s.cfg
	if !started && p.r.IntN(2) == 0 {
		if err := s.drv.Start(ctx, team, p.id); err != nil {
			s.fail(ctx, "start", p.id, err)
			return
		}
	}
	if !p.pause(ctx, cfg.Service) {
		return
	}
	hours := float64(1+p.r.IntN(8)) / 2
	if err := s.drv.Complete(ctx, team, p.id, hours, "served"); err != nil {
		s.fail(ctx, "complete", p.id, err)
		return
	}
	s.c.completed.Add(1)
	p.rate(ctx)
}

// rate plays the resident rating a completed order, or not.
func (p *play) rate(ctx context.Context) {
	s, cfg := p.s, p.s.cfg
	if p.r.Float64() < cfg.Rate {
		if err := s.drv.Rate(ctx, p.resident, p.id, stars(p.r), "thank you"); err != nil {
			s.fail(ctx, "rate", p.id, err)
			return
		}
		s.c.rated.Add(1)
	}
	p.finish(ctx)
}

// finish counts the ended order's offers and their decision records.
func (p *play) finish(ctx context.Context) {
	v, err := p.s.drv.Order(ctx, p.id)
	if err != nil {
		return
	}
	p.s.c.offers.Add(int64(v.Offers))
	p.s.c.undecided.Add(int64(v.Undecided))
}

// pause waits up to max (a random share of it), or exactly -max when max
// is negative; it reports false when ctx ended.
func (p *play) pause(ctx context.Context, max time.Duration) bool {
	d := -max
	if max > 0 {
		d = time.Duration(p.r.Int64N(int64(max) + 1))
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Simulator) fail(ctx context.Context, what string, id uuid.UUID, err error) {
	if ctx.Err() != nil {
		return // stopping, not failing
	}
	s.c.failed.Add(1)
	s.log.Warn("simulated step failed", "step", what, "order", id, "error", err)
}

// lostRace reports a refusal because the order moved on under the
// simulated person (an offer expired, was reassigned, the order cancelled).
func lostRace(err error) bool {
	return err != nil && (errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrForbidden))
}

var categoryWeights = []struct {
	c domain.Category
	w int
}{
	{domain.CategoryErrand, 30}, {domain.CategoryHealth, 22}, {domain.CategoryCulture, 12},
	{domain.CategoryEducation, 12}, {domain.CategoryTheory, 8}, {domain.CategoryScience, 6},
	{domain.CategoryLegal, 6}, {domain.CategoryCounseling, 4},
}

func pickCategory(r *rand.Rand) domain.Category {
	x := r.IntN(100)
	for _, cw := range categoryWeights {
		if x < cw.w {
			return cw.c
		}
		x -= cw.w
	}
	return domain.CategoryErrand
}

var orderTitles = map[domain.Category]string{
	domain.CategoryTheory: "社区理论宣讲", domain.CategoryEducation: "课后辅导", domain.CategoryScience: "智能手机使用教学",
	domain.CategoryCulture: "文艺演出进社区", domain.CategoryHealth: "上门健康检查", domain.CategoryLegal: "法律咨询",
	domain.CategoryErrand: "代购送药上门", domain.CategoryCounseling: "心理疏导陪伴",
}

// stars is mostly five, as the district reports.
func stars(r *rand.Rand) int {
	switch x := r.IntN(100); {
	case x < 85:
		return 5
	case x < 95:
		return 4
	case x < 98:
		return 3
	case x < 99:
		return 2
	default:
		return 1
	}
}
