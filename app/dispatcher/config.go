package dispatcher

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the dispatcher. Start from DefaultConfig: the zero Config has
// AutoDispatch off.
type Config struct {
	// AutoDispatch makes the dispatcher offer placed orders and escalate the
	// ones it cannot place (PAIDAN_AUTO_DISPATCH). Off, dispatch is manual
	// only; due offers are still expired and a suspended team's offers still
	// withdrawn, since those keep coordinators' own offers honest.
	AutoDispatch bool
	// MaxOffers is how many offers of one order may be declined or left to
	// expire before the order is escalated (PAIDAN_MAX_OFFERS); optional,
	// default 3. The offer's TTL is the write side's (app.Config.OfferTTL):
	// coordinators' offers and the dispatcher's share it.
	MaxOffers int
	// TickInterval is how often Run asks for due offers; optional, default
	// 1s. An offer expires at most about this long after its time.
	TickInterval time.Duration
	// ExpireBatch caps the due offers one tick expires; optional, default
	// 256. The rest wait for the next tick, so a backlog cannot starve the
	// handling of triggers.
	ExpireBatch int
	// CheckpointEvery and CheckpointInterval bound how many handled events
	// and how much time may pass before Run saves its checkpoint; optional,
	// defaults 256 and 1s. A checkpoint older than the work done only costs
	// redelivery, which changes nothing.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// MaxAttempts is how often Run tries an event whose handling fails with
	// an error that is not a transient store error before it logs it and
	// moves on (transient errors are retried until the context ends);
	// optional, default 5.
	MaxAttempts int
	// RetryBackoff is the first pause between attempts, doubling up to 2s;
	// optional, default 50ms.
	RetryBackoff time.Duration
	// Workers is how many triggers Run and Drain handle at once; optional,
	// default 8. Triggers of one stream always go to the same worker, in log
	// order, so one order's reactions never overtake each other; different
	// orders' appends overlap, which is what keeps offers flowing when each
	// append waits for the disk.
	Workers int
}

// Defaults of Config.
const (
	DefaultMaxOffers          = 3
	DefaultTickInterval       = time.Second
	DefaultExpireBatch        = 256
	DefaultCheckpointEvery    = 256
	DefaultCheckpointInterval = time.Second
	DefaultMaxAttempts        = 5
	DefaultRetryBackoff       = 50 * time.Millisecond
	DefaultWorkers            = 8
	maxRetryBackoff           = 2 * time.Second
)

// DefaultConfig is automatic dispatch with every default.
func DefaultConfig() Config {
	c := Config{AutoDispatch: true}
	c.setDefaults()
	return c
}

// Validate checks the configuration: zero means the default, negative values
// are refused.
func (c Config) Validate() error {
	var errs []error
	neg := func(name string, v int64, show any) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("dispatcher: %s: expected zero (default) or more, found %v", name, show))
		}
	}
	neg("MaxOffers", int64(c.MaxOffers), c.MaxOffers)
	neg("TickInterval", int64(c.TickInterval), c.TickInterval)
	neg("ExpireBatch", int64(c.ExpireBatch), c.ExpireBatch)
	neg("CheckpointEvery", int64(c.CheckpointEvery), c.CheckpointEvery)
	neg("CheckpointInterval", int64(c.CheckpointInterval), c.CheckpointInterval)
	neg("MaxAttempts", int64(c.MaxAttempts), c.MaxAttempts)
	neg("RetryBackoff", int64(c.RetryBackoff), c.RetryBackoff)
	neg("Workers", int64(c.Workers), c.Workers)
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.MaxOffers == 0 {
		c.MaxOffers = DefaultMaxOffers
	}
	if c.TickInterval == 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.ExpireBatch == 0 {
		c.ExpireBatch = DefaultExpireBatch
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = DefaultCheckpointEvery
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
}
