package simulate

import (
	"errors"
	"fmt"
	"time"

	"github.com/paidan/paidan/domain"
)

// Config says what the simulated district does. Probabilities are in [0, 1].
type Config struct {
	// Teams is how many teams GenerateDistrict makes; optional, default
	// domain.DemoTeamCount. Seed seeds the district and every choice.
	Teams int
	Seed  int64
	// Orders is how many orders to place; zero runs until the context ends.
	Orders int
	// Concurrency is how many orders are in flight at once; optional,
	// default 32.
	Concurrency int
	// OrderRate caps orders placed per second; optional, zero for as fast as
	// Concurrency allows.
	OrderRate float64
	// Residents is how many residents place the orders; optional, default
	// 5,000.
	Residents int
	// Accept and Decline are the chances that a team accepts or declines an
	// offer; the rest it ignores, letting the offer expire. Default 0.8 and
	// 0.1 when both are zero.
	Accept, Decline float64
	// Cancel is the chance that a resident cancels while waiting; Rate that
	// the resident rates a completed order (default 0.9 when zero; set
	// NoRatings for none).
	Cancel    float64
	Rate      float64
	NoRatings bool
	// Think is the longest a team takes to answer an offer, Service the
	// longest it takes to serve; each wait is drawn up to it. Optional, zero
	// for no wait.
	Think, Service time.Duration
	// Poll is how often an order's state is read while waiting; optional,
	// default 20ms.
	Poll time.Duration
	// OrderTimeout bounds how long one order may wait for the dispatcher
	// before it is counted stuck; optional, default 2 minutes. It must
	// exceed the server's offer TTL times its max offers when teams ignore
	// offers.
	OrderTimeout time.Duration
}

// DemoConfig is the gentle endless load of `paidan serve --demo`: about one
// order every two seconds, people taking a few seconds to answer.
func DemoConfig() Config {
	return Config{Teams: domain.DemoTeamCount, Seed: 1, Concurrency: 8, OrderRate: 0.5,
		Accept: 0.75, Decline: 0.15, Cancel: 0.03, Rate: 0.85,
		Think: 8 * time.Second, Service: 20 * time.Second, Poll: 500 * time.Millisecond, OrderTimeout: time.Hour}
}

// Validate checks ranges.
func (c Config) Validate() error {
	var errs []error
	nonNeg := func(name string, bad bool, v any) {
		if bad {
			errs = append(errs, fmt.Errorf("simulate: %s: expected zero (default) or more, found %v", name, v))
		}
	}
	nonNeg("Teams", c.Teams < 0, c.Teams)
	nonNeg("Orders", c.Orders < 0, c.Orders)
	nonNeg("Concurrency", c.Concurrency < 0, c.Concurrency)
	nonNeg("OrderRate", c.OrderRate < 0, c.OrderRate)
	nonNeg("Residents", c.Residents < 0, c.Residents)
	nonNeg("Think", c.Think < 0, c.Think)
	nonNeg("Service", c.Service < 0, c.Service)
	nonNeg("Poll", c.Poll < 0, c.Poll)
	nonNeg("OrderTimeout", c.OrderTimeout < 0, c.OrderTimeout)
	for _, p := range []struct {
		name string
		v    float64
	}{{"Accept", c.Accept}, {"Decline", c.Decline}, {"Cancel", c.Cancel}, {"Rate", c.Rate}} {
		if p.v < 0 || p.v > 1 {
			errs = append(errs, fmt.Errorf("simulate: %s: expected a probability in [0, 1], found %v", p.name, p.v))
		}
	}
	if c.Accept+c.Decline > 1 {
		errs = append(errs, fmt.Errorf("simulate: Accept + Decline: expected at most 1, found %v", c.Accept+c.Decline))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Teams == 0 {
		c.Teams = domain.DemoTeamCount
	}
	if c.Concurrency == 0 {
		c.Concurrency = 32
	}
	if c.Residents == 0 {
		c.Residents = 5000
	}
	if c.Accept == 0 && c.Decline == 0 {
		c.Accept, c.Decline = 0.8, 0.1
	}
	if c.Rate == 0 && !c.NoRatings {
		c.Rate = 0.9
	}
	if c.Poll == 0 {
		c.Poll = 20 * time.Millisecond
	}
	if c.OrderTimeout == 0 {
		c.OrderTimeout = 2 * time.Minute
	}
}
