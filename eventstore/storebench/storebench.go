// Package storebench measures an event store the way Paidan uses it: many
// writers appending small JSON events under optimistic concurrency, and
// aggregates loaded stream by stream. It drives any eventstore.Store through
// an Opener; the baseline it compares against is plain SQLite, so that part is
// specific to the embedded store's file format.
package storebench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// Opener opens a fresh store whose files live at path (a file name inside a
// directory the benchmark owns and removes).
type Opener func(path string) (eventstore.Store, error)

// Config sets the size of a run.
type Config struct {
	// Dir is where the scenario files go; required. Run creates one file per
	// scenario and removes it afterwards.
	Dir string
	// Events is the number of events each append scenario writes; optional,
	// default 20,000. The single-writer scenario writes a tenth of it (every
	// one of its appends waits for its own fsync).
	Events int
	// LoadStreams and LoadEventsPerStream shape the load scenario; optional,
	// defaults 10,000 and 5.
	LoadStreams         int
	LoadEventsPerStream int
	// Rounds is how many times the c64 scenario and the baseline are run,
	// alternately, and how many times the load reads the streams back; the
	// best round counts, so that other programs' bursts on a shared machine
	// disturb the comparison less. Optional, default 3.
	Rounds int
	// LagRate and LagAppends shape the live-lag scenario: appends per second
	// and how many; optional, defaults 1,000 and 3,000.
	LagRate    int
	LagAppends int
	// Progress receives one line per finished scenario; optional.
	Progress io.Writer
}

// Validate reports fields out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("storebench: Config.Dir is required"))
	}
	if c.Events < 0 || c.LoadStreams < 0 || c.LoadEventsPerStream < 0 || c.Rounds < 0 || c.LagRate < 0 || c.LagAppends < 0 {
		errs = append(errs, fmt.Errorf("storebench: sizes must not be negative, got Events %d, LoadStreams %d, LoadEventsPerStream %d, Rounds %d",
			c.Events, c.LoadStreams, c.LoadEventsPerStream, c.Rounds))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Events == 0 {
		c.Events = 20_000
	}
	if c.LoadStreams == 0 {
		c.LoadStreams = 10_000
	}
	if c.LoadEventsPerStream == 0 {
		c.LoadEventsPerStream = 5
	}
	if c.LagRate == 0 {
		c.LagRate = 1000
	}
	if c.LagAppends == 0 {
		c.LagAppends = 3000
	}
	if c.Rounds == 0 {
		c.Rounds = 3
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// Result holds the figures of one run; the JSON names are the ones the
// README and CI refer to.
type Result struct {
	AppendC1     float64 `json:"append_c1_events_per_sec"`
	AppendC16    float64 `json:"append_c16_events_per_sec"`
	AppendC64    float64 `json:"append_c64_events_per_sec"`
	Append5C16   float64 `json:"append5_c16_events_per_sec"`
	Load         float64 `json:"load_events_per_sec"`
	BaselineC64  float64 `json:"baseline_c64_events_per_sec"`
	C64VsBase    float64 `json:"append_c64_vs_baseline"`
	LagP50Ms     float64 `json:"live_lag_p50_ms"`
	LagP99Ms     float64 `json:"live_lag_p99_ms"`
	LagRate      int     `json:"live_lag_appends_per_sec"`
	EventsPerRun int     `json:"events_per_scenario"`
	Rounds       int     `json:"rounds"`
	LoadEvents   int     `json:"load_events"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	GoVersion    string  `json:"go_version"`
}

// Run measures every scenario, each on a fresh store (or file) in cfg.Dir.
func Run(ctx context.Context, open Opener, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	cfg.setDefaults()
	res := Result{
		EventsPerRun: cfg.Events,
		Rounds:       cfg.Rounds,
		LoadEvents:   cfg.LoadStreams * cfg.LoadEventsPerStream,
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
		GoVersion:    runtime.Version(),
	}
	type scenario struct {
		name string
		into *float64
		run  func(ctx context.Context, path string) (events int, took time.Duration, err error)
	}
	c64 := scenario{"append c64", &res.AppendC64, appendScenario(open, 64, 1, cfg.Events)}
	base := scenario{"baseline c64", &res.BaselineC64, func(ctx context.Context, path string) (int, time.Duration, error) {
		return baseline(ctx, path, 64, cfg.Events)
	}}
	plan := []scenario{
		{"append c1", &res.AppendC1, appendScenario(open, 1, 1, max(cfg.Events/10, 1))},
		{"append c16", &res.AppendC16, appendScenario(open, 16, 1, cfg.Events)},
	}
	for range cfg.Rounds {
		plan = append(plan, c64, base)
	}
	plan = append(plan,
		scenario{"append5 c16", &res.Append5C16, appendScenario(open, 16, 5, cfg.Events)},
		scenario{"load", &res.Load, loadScenario(open, cfg.LoadStreams, cfg.LoadEventsPerStream, cfg.Rounds)},
	)
	for i, sc := range plan {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		path := filepath.Join(cfg.Dir, fmt.Sprintf("bench-%d.db", i))
		events, took, err := sc.run(ctx, path)
		removeFiles(path)
		if err != nil {
			return res, fmt.Errorf("storebench: %s: %w", sc.name, err)
		}
		rate := float64(events) / took.Seconds()
		*sc.into = max(*sc.into, rate)
		fmt.Fprintf(cfg.Progress, "bench store: %-13s %7d events in %8v  %9.0f events/s\n",
			sc.name, events, took.Round(time.Millisecond), rate)
	}
	res.LagRate = cfg.LagRate
	path := filepath.Join(cfg.Dir, "bench-lag.db")
	p50, p99, err := lagScenario(ctx, open, path, cfg.LagRate, cfg.LagAppends)
	removeFiles(path)
	if err != nil {
		return res, fmt.Errorf("storebench: live lag: %w", err)
	}
	res.LagP50Ms, res.LagP99Ms = p50.Seconds()*1000, p99.Seconds()*1000
	fmt.Fprintf(cfg.Progress, "bench store: live lag at %d appends/s: p50 %v, p99 %v\n", cfg.LagRate, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
	if res.BaselineC64 > 0 {
		res.C64VsBase = res.AppendC64 / res.BaselineC64
	}
	return res, nil
}

// removeFiles deletes a SQLite file with its WAL, shared-memory and lock files.
func removeFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
		_ = os.Remove(path + suffix)
	}
}
