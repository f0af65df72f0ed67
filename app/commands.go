package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// Clock tells the commands what time it is, so tests control time. Each
// decision reads it once.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function (time.Now, a test's fake) to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// Deps are what the command handlers need.
type Deps struct {
	// Store keeps the streams; required.
	Store eventstore.Store
	// Directory validates stations of orders and teams; required.
	Directory *domain.Directory
	// Teams gives the dispatch policy its view of the teams; optional,
	// default NewLogTeams(Store).
	Teams TeamSource
	// Clock is the time of decisions; optional, default time.Now.
	Clock Clock
}

// Config tunes the command handlers. The zero Config is valid.
type Config struct {
	// OfferTTL is how long a team has to answer an offer; optional, default
	// 10 minutes (PAIDAN_OFFER_TTL).
	OfferTTL time.Duration
	// Attempts bounds how often one command loads, decides and appends when
	// other writers keep changing its stream in between; optional, default 5.
	Attempts int
	// DecisionSize is how many ranked candidates and exclusions an offer's
	// recorded decision keeps; optional, default 5.
	DecisionSize int
	// CacheStreams bounds how many streams the commands keep in memory as
	// they last saw them, so the next command on a stream reads nothing
	// from the store (see the package documentation); optional, default
	// 20,000 (PAIDAN_CACHE_STREAMS). An order's stream costs about 2 KiB.
	CacheStreams int
	// NoCache turns the stream cache off: every command reads its whole
	// stream from the store, as before the cache existed. Optional.
	NoCache bool
}

// Defaults of Config.
const (
	DefaultOfferTTL     = 10 * time.Minute
	DefaultAttempts     = 5
	DefaultDecisionSize = 5
	DefaultCacheStreams = 20_000
)

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.OfferTTL < 0 {
		errs = append(errs, fmt.Errorf("offer TTL: expected zero (default) or more, found %s", c.OfferTTL))
	}
	if c.Attempts < 0 {
		errs = append(errs, fmt.Errorf("attempts: expected zero (default) or more, found %d", c.Attempts))
	}
	if c.DecisionSize < 0 {
		errs = append(errs, fmt.Errorf("decision size: expected zero (default) or more, found %d", c.DecisionSize))
	}
	if c.CacheStreams < 0 {
		errs = append(errs, fmt.Errorf("cache streams: expected zero (default) or more, found %d; NoCache turns the cache off", c.CacheStreams))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.OfferTTL == 0 {
		c.OfferTTL = DefaultOfferTTL
	}
	if c.Attempts == 0 {
		c.Attempts = DefaultAttempts
	}
	if c.DecisionSize == 0 {
		c.DecisionSize = DefaultDecisionSize
	}
	if c.CacheStreams == 0 {
		c.CacheStreams = DefaultCacheStreams
	}
}

// Commands handles every command of the write side. Each command loads one
// stream, lets the domain decide, and appends with the revision it read; on a
// concurrency conflict it reloads and decides again (Config.Attempts times in
// all), so a command still valid after the other writer's change succeeds and
// one that is not gets the domain's refusal. A refused command appends nothing.
//
// Commands is safe for concurrent use.
type Commands struct {
	store eventstore.Store
	dir   *domain.Directory
	teams TeamSource
	clock Clock
	cfg   Config
	cache *streamCache // nil with Config.NoCache
	// exactWrote: the store's AppendResult.Wrote is exact, so an append of
	// derived ids it did not write was stored by an earlier request.
	exactWrote bool
}

// New builds the command handlers.
func New(deps Deps, cfg Config) (*Commands, error) {
	var errs []error
	if deps.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if deps.Directory == nil {
		errs = append(errs, errors.New("directory: required"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	cfg.setDefaults()
	if deps.Teams == nil {
		t, err := NewLogTeams(deps.Store)
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		deps.Teams = t
	}
	if deps.Clock == nil {
		deps.Clock = ClockFunc(time.Now)
	}
	c := &Commands{store: deps.Store, dir: deps.Directory, teams: deps.Teams, clock: deps.Clock, cfg: cfg,
		exactWrote: eventstore.ReportsWrote(deps.Store)}
	if !cfg.NoCache {
		c.cache = newStreamCache(cfg.CacheStreams)
	}
	return c, nil
}

// Directory is the directory the commands validate stations against.
func (c *Commands) Directory() *domain.Directory { return c.dir }
