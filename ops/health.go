package ops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// Check reports whether one dependency is ready: nil when it is, otherwise
// an error saying what is wrong. A check must honour ctx's deadline.
type Check func(ctx context.Context) error

// Readiness is the set of named checks behind /readyz. Components register
// their checks while the server is wired (the store at start, projections
// when they start); the server is ready when every check passes.
// It is safe for concurrent use.
type Readiness struct {
	mu      sync.RWMutex
	checks  map[string]Check
	timeout time.Duration
}

// DefaultCheckTimeout bounds each readiness check when none is configured.
const DefaultCheckTimeout = 2 * time.Second

// NewReadiness returns an empty set of checks, each bounded by timeout
// (DefaultCheckTimeout when zero).
func NewReadiness(timeout time.Duration) *Readiness {
	if timeout <= 0 {
		timeout = DefaultCheckTimeout
	}
	return &Readiness{checks: map[string]Check{}, timeout: timeout}
}

// Register adds a check under a unique name.
func (r *Readiness) Register(name string, check Check) error {
	if name == "" || check == nil {
		return errors.New("readiness check: name and check are required")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.checks[name]; dup {
		return fmt.Errorf("readiness check %q is already registered", name)
	}
	r.checks[name] = check
	return nil
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// ReadinessReport is the outcome of every check, sorted by name.
type ReadinessReport struct {
	Ready  bool          `json:"ready"`
	Checks []CheckResult `json:"checks"`
}

// Run runs every check concurrently, each under its own timeout.
func (r *Readiness) Run(ctx context.Context) ReadinessReport {
	r.mu.RLock()
	names := make([]string, 0, len(r.checks))
	for n := range r.checks {
		names = append(names, n)
	}
	checks := make([]Check, len(names))
	sort.Strings(names)
	for i, n := range names {
		checks[i] = r.checks[n]
	}
	r.mu.RUnlock()

	results := make([]CheckResult, len(names))
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, r.timeout)
			defer cancel()
			err := runCheck(cctx, checks[i])
			results[i] = CheckResult{Name: names[i], OK: err == nil}
			if err != nil {
				results[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	report := ReadinessReport{Ready: true, Checks: results}
	for _, res := range results {
		report.Ready = report.Ready && res.OK
	}
	return report
}

// runCheck turns a panicking check into a failed one: /readyz must answer.
func runCheck(ctx context.Context, c Check) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("check panicked: %v", p)
		}
	}()
	return c(ctx)
}

// StoreCheck is ready when the store answers a one-event read of the head of
// the global log.
func StoreCheck(store eventstore.Store) Check {
	return func(ctx context.Context) error {
		_, err := store.ReadAll(ctx, eventstore.ReadAllOptions{
			From: eventstore.End, Direction: eventstore.Backwards, Limit: 1,
		})
		if err != nil {
			return fmt.Errorf("event store: %w", err)
		}
		return nil
	}
}
