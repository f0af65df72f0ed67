package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/domain"
)

// e2eConfig is what `paidan bench e2e` runs.
type e2eConfig struct {
	// Clients is how many lifecycles run at once; required, ≥ 1.
	Clients int
	// Warmup runs the load unmeasured first; Duration is measured.
	Warmup, Duration time.Duration
	// Rate paces commands (per second) in the projection-lag phase, which
	// lasts LagDuration after LagSettle; zero Rate skips the phase.
	Rate                   float64
	LagSettle, LagDuration time.Duration
	// ProbeEvery: one command in ProbeEvery is followed by a read at its
	// position (read_your_write_*); required, ≥ 1. A read after every
	// command would add as many reads as commands, 6-16 % more CPU at 1k
	// commands/s (README), to the load the lag is measured at.
	ProbeEvery int
	// CPUProfile, when set, receives a CPU profile of the whole process
	// (server and clients) over the measured phase.
	CPUProfile string
	// LagTrace, when set, receives an execution trace (runtime/trace) of
	// the lag sample: where an event's time goes when its lag is long.
	LagTrace string
	// LagCPUProfile, when set, receives a CPU profile of the lag sample.
	LagCPUProfile string
	// Progress receives one line per phase; optional.
	Progress io.Writer
	// ServerLog receives the server's warnings and errors; optional.
	ServerLog io.Writer
}

// Validate reports every invalid setting.
func (c e2eConfig) Validate() error {
	var errs []error
	if c.Clients < 1 {
		errs = append(errs, fmt.Errorf("--clients: expected at least 1, found %d", c.Clients))
	}
	if c.Duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration: expected a positive duration, found %s", c.Duration))
	}
	if c.Warmup < 0 || c.LagSettle < 0 || c.LagDuration < 0 {
		errs = append(errs, fmt.Errorf("--warmup, --lag-settle, --lag-duration: expected zero or more, found %s, %s, %s",
			c.Warmup, c.LagSettle, c.LagDuration))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("--rate: expected zero (no lag phase) or more commands per second, found %v", c.Rate))
	}
	if c.ProbeEvery < 1 {
		errs = append(errs, fmt.Errorf("--probe-every: expected at least 1, found %d", c.ProbeEvery))
	}
	if c.Rate > 0 && c.LagDuration == 0 {
		errs = append(errs, errors.New("--lag-duration: expected a positive duration when --rate is set"))
	}
	return errors.Join(errs...)
}

// e2eResult is what `paidan bench e2e` reports. Latencies are milliseconds.
type e2eResult struct {
	Clients         int     `json:"clients"`
	DurationSeconds float64 `json:"duration_seconds"`
	Commands        int     `json:"commands"`
	CommandsPerSec  float64 `json:"commands_per_sec"`
	CommandP50Ms    float64 `json:"command_p50_ms"`
	CommandP99Ms    float64 `json:"command_p99_ms"`
	Lifecycles      int     `json:"lifecycles"`
	LifecyclesPerS  float64 `json:"lifecycles_per_sec"`
	// OfferLatency is the OrderOffered event's time minus OrderPlaced's;
	// OfferSeen is from the place command's answer to the offer arriving
	// on the queue stream (it includes the queue projection).
	OfferLatencyP50Ms float64 `json:"offer_latency_p50_ms"`
	OfferLatencyP99Ms float64 `json:"offer_latency_p99_ms"`
	OfferSeenP99Ms    float64 `json:"offer_seen_p99_ms"`
	// While commands are paced at LagRate:
	//
	// Projection lag is, for every event, from the store committing it to
	// a read model committing it, as the server's histogram
	// paidan_projection_event_lag_seconds counts it (scraped from /metrics
	// before and after, quantiles interpolated in its buckets). The p50 and
	// p99 are those of the slowest projection; ProjectionLagP99ByName has
	// each one's p99, LagEvents how many events the slowest counted.
	//
	// Read-your-write is what a client sees: from a command's answer until
	// a read of the order at the command's position answers (the orders
	// projection committed it); it includes one HTTP round trip, so under
	// load it carries the server's request queueing as well.
	LagRate                float64            `json:"lag_rate"`
	LagCommandsPerSec      float64            `json:"lag_commands_per_sec"`
	ProjectionLagP50Ms     float64            `json:"projection_lag_p50_ms"`
	ProjectionLagP99Ms     float64            `json:"projection_lag_p99_ms"`
	ProjectionLagP99ByName map[string]float64 `json:"projection_lag_p99_ms_by_projection"`
	LagEvents              int                `json:"lag_events"`
	LagSamples             int                `json:"lag_samples"`
	ReadYourWriteP50Ms     float64            `json:"read_your_write_p50_ms"`
	ReadYourWriteP99Ms     float64            `json:"read_your_write_p99_ms"`
	LagStale               int                `json:"lag_stale"`
	// SchedLatency*Ms: while commands are paced, how long goroutines of the
	// whole process (server and clients) waited for a core once runnable
	// (the runtime's /sched/latencies:seconds); every event passes several
	// goroutines on its way into each read model.
	SchedLatencyP50Ms float64        `json:"sched_latency_p50_ms"`
	SchedLatencyP99Ms float64        `json:"sched_latency_p99_ms"`
	ErrorsByStatus    map[string]int `json:"errors_by_status"`
	StreamResets      int            `json:"stream_resets"`
	// OfferReadBacks counts orders read because the stream was quiet or
	// lost changes.
	OfferReadBacks int     `json:"offer_read_backs"`
	GOMAXPROCS     int     `json:"gomaxprocs"`
	GOGC           int     `json:"gogc"` // the collector's target in force
	CPUSeconds     float64 `json:"cpu_seconds"`
	// CommandsPerCPUSec is commands over the process's CPU seconds in the
	// measured phase: steadier than the wall-clock rate on a shared machine.
	CommandsPerCPUSec float64 `json:"commands_per_cpu_sec"`
	// WriteBytesPerCommand and WriteCallsPerCommand are what the whole
	// process (store, read models, HTTP responses) handed to write system
	// calls in the measured phase, per command (/proc/self/io's wchar and
	// syscw; absent where that file is not).
	WriteBytesPerCommand float64 `json:"write_bytes_per_command,omitempty"`
	WriteCallsPerCommand float64 `json:"write_calls_per_command,omitempty"`
}

func newBenchE2ECmd() *cobra.Command {
	cfg := e2eConfig{}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "e2e [--clients N] [--duration D] [--rate R] [--json]",
		Short: "Measure full order lifecycles over HTTP against an in-process server",
		Long: `Start paidan serve on the embedded store in a temporary data directory
(dispatcher and every projection on), register the demo district's 1,871
teams (capacity raised so an offer is always possible), then drive full
lifecycles — place, automatic offer (awaited on the queue stream), accept,
complete, rate — from N concurrent clients over keep-alive HTTP connections.

After --warmup, --duration is measured:
  commands_per_sec, command_p50_ms, command_p99_ms   POST commands answered 2xx
  lifecycles_per_sec                                  lifecycles finished
  offer_latency_p99_ms                                OrderOffered − OrderPlaced event times

Then, with --rate R > 0, commands are paced at R per second:
  projection_lag_p50_ms, projection_lag_p99_ms
      per event, its commit in the store → its commit in a read model
      (paidan_projection_event_lag_seconds, scraped from /metrics before
      and after the sample); the slowest projection's quantile is shown
  read_your_write_p50_ms, read_your_write_p99_ms
      command answered → a read at its min_position answered (HTTP round
      trips and request queueing included), for one command in
      --probe-every
  sched_latency_p50_ms, sched_latency_p99_ms
      how long the process's goroutines waited for a core once runnable
      (the Go runtime's /sched/latencies:seconds over the sample)

The server takes serve's tuning settings from the environment
(PAIDAN_PROJECTION_LINGER, PAIDAN_CACHE_STREAMS, PAIDAN_VIEWS_DSN, …); the
store is always the embedded one, in a temporary directory.

Progress goes to stderr; a table (or one JSON object with --json) to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Progress = cmd.ErrOrStderr()
			cfg.ServerLog = cmd.ErrOrStderr()
			gogc := tuneGC() // as serve does
			res, err := runBenchE2E(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			res.GOGC = gogc
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printE2E(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Clients, "clients", 32, "concurrent clients, each running one lifecycle at a time")
	f.DurationVar(&cfg.Duration, "duration", 20*time.Second, "measured time")
	f.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "unmeasured load before")
	f.Float64Var(&cfg.Rate, "rate", 1000, "commands per second in the projection-lag phase; 0 skips it")
	f.IntVar(&cfg.ProbeEvery, "probe-every", 10, "in the lag phase, follow one command in N with a read at its position (read_your_write_*)")
	f.DurationVar(&cfg.LagSettle, "lag-settle", 2*time.Second, "paced load before the lag is sampled (the backlog drains)")
	f.DurationVar(&cfg.LagDuration, "lag-duration", 10*time.Second, "time the lag is sampled")
	f.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the whole process over the measured phase")
	f.StringVar(&cfg.LagCPUProfile, "lag-cpuprofile", "", "write a CPU profile of the whole process over the lag sample")
	f.StringVar(&cfg.LagTrace, "lag-trace", "", "write an execution trace (go tool trace) of the lag sample to this file")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func printE2E(w io.Writer, r e2eResult) {
	fmt.Fprintf(w, "clients                 %d (GOMAXPROCS %d, GOGC %d)\n", r.Clients, r.GOMAXPROCS, r.GOGC)
	fmt.Fprintf(w, "commands_per_sec        %.0f  (%d in %.1fs)\n", r.CommandsPerSec, r.Commands, r.DurationSeconds)
	fmt.Fprintf(w, "command_p50_ms          %.2f\n", r.CommandP50Ms)
	fmt.Fprintf(w, "command_p99_ms          %.2f\n", r.CommandP99Ms)
	fmt.Fprintf(w, "lifecycles_per_sec      %.0f  (%d)\n", r.LifecyclesPerS, r.Lifecycles)
	fmt.Fprintf(w, "offer_latency_p99_ms    %.2f  (p50 %.2f; seen on the stream p99 %.2f)\n", r.OfferLatencyP99Ms, r.OfferLatencyP50Ms, r.OfferSeenP99Ms)
	if r.LagRate > 0 {
		names := make([]string, 0, len(r.ProjectionLagP99ByName))
		for n := range r.ProjectionLagP99ByName {
			names = append(names, n)
		}
		sort.Strings(names)
		var each []string
		for _, n := range names {
			each = append(each, fmt.Sprintf("%s %.1f", n, r.ProjectionLagP99ByName[n]))
		}
		fmt.Fprintf(w, "projection_lag_p99_ms   %.2f  (p50 %.2f; slowest projection, %d events at %.0f commands/s; p99 of each: %s)\n",
			r.ProjectionLagP99Ms, r.ProjectionLagP50Ms, r.LagEvents, r.LagCommandsPerSec, strings.Join(each, ", "))
		fmt.Fprintf(w, "read_your_write_p99_ms  %.2f  (p50 %.2f; %d reads, %d stale)\n",
			r.ReadYourWriteP99Ms, r.ReadYourWriteP50Ms, r.LagSamples, r.LagStale)
		fmt.Fprintf(w, "sched_latency_p99_ms    %.3f  (p50 %.3f; goroutines runnable, waiting for a core, while paced)\n",
			r.SchedLatencyP99Ms, r.SchedLatencyP50Ms)
	}
	keys := make([]string, 0, len(r.ErrorsByStatus))
	for k := range r.ErrorsByStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "errors                 ")
	if len(keys) == 0 {
		fmt.Fprintf(w, " none")
	}
	for _, k := range keys {
		fmt.Fprintf(w, " %s:%d", k, r.ErrorsByStatus[k])
	}
	fmt.Fprintf(w, "  (queue stream resets %d, orders read back %d)\n", r.StreamResets, r.OfferReadBacks)
	fmt.Fprintf(w, "process CPU             %.1f s over the measured phase (%.0f commands per CPU-second)\n", r.CPUSeconds, r.CommandsPerCPUSec)
	if r.WriteCallsPerCommand > 0 {
		fmt.Fprintf(w, "writes per command      %.1f KB in %.1f write calls (store, read models, HTTP)\n", r.WriteBytesPerCommand/1000, r.WriteCallsPerCommand)
	}
}

// runBenchE2E starts the server, loads it and reports.
func runBenchE2E(ctx context.Context, cfg e2eConfig) (res e2eResult, err error) {
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	logOut := cfg.ServerLog
	if logOut == nil {
		logOut = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, "bench e2e: "+format+"\n", args...) }

	say("starting the server on the embedded store")
	srv, err := startE2EServer(ctx, logOut)
	if err != nil {
		return res, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("bench e2e: server shutdown: %w", serr))
		}
	}()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 0
	tr.MaxIdleConnsPerHost = 4 * (cfg.Clients + 64)
	tr.DisableCompression = true
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()

	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	err = srv.waitReady(rctx, client)
	cancel()
	if err != nil {
		return res, err
	}

	teams, err := domain.GenerateDistrict(domain.DemoDirectory(), domain.DemoTeamCount, 1)
	if err != nil {
		return res, err
	}
	for i := range teams {
		// Room for every order in flight: no lifecycle waits for capacity.
		teams[i].Spec.Capacity = domain.MaxTeamCapacity
	}
	say("registering %d teams", len(teams))
	if err := registerTeams(ctx, srv.url, client, srv.minter, teams, 16); err != nil {
		return res, err
	}

	coord, err := srv.minter.Mint(domain.Actor{Subject: "bench-watcher", Role: domain.RoleCoordinator}, e2eTokenTTL)
	if err != nil {
		return res, err
	}
	lctx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	// The stream lasts the whole run: its client has no overall timeout.
	watcher := newOfferWatcher(srv.url, coord, &http.Client{Transport: tr})
	ready := make(chan struct{})
	var watching sync.WaitGroup
	watching.Add(1)
	go func() { defer watching.Done(); watcher.run(lctx, ready) }()
	defer watching.Wait()
	select {
	case <-ready:
	case <-ctx.Done():
		return res, ctx.Err()
	}

	load, err := newE2ELoad(srv.url, client, srv.minter, teams, watcher, cfg.Rate, cfg.ProbeEvery)
	if err != nil {
		return res, err
	}
	stats := make([]clientStats, cfg.Clients)
	var clients sync.WaitGroup
	for i := range cfg.Clients {
		clients.Add(1)
		go func() { defer clients.Done(); load.runClient(lctx, uint64(i+1), &stats[i]) }()
	}
	wait := func(d time.Duration) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	say("warming up for %s with %d clients", cfg.Warmup, cfg.Clients)
	if err := wait(cfg.Warmup); err != nil {
		return res, err
	}
	stopProfile, err := startCPUProfile(cfg.CPUProfile)
	if err != nil {
		return res, fmt.Errorf("--cpuprofile: %w", err)
	}
	say("measuring for %s", cfg.Duration)
	wbytes0, wcalls0, _ := procWrites()
	cpu0, t0 := cpuSeconds(), time.Now()
	load.phase.Store(phaseMeasure)
	werr := wait(cfg.Duration)
	load.phase.Store(phaseLagSettle)
	elapsed, cpu := time.Since(t0), cpuSeconds()-cpu0
	wbytes, wcalls, writesOK := procWrites()
	stopProfile()
	if werr != nil {
		return res, werr
	}
	var (
		lagElapsed              time.Duration
		lagBefore, lagAfter     lagScrape
		schedBefore, schedAfter schedSnapshot
	)
	if cfg.Rate > 0 {
		say("pacing commands at %.0f/s: %s to settle, then sampling the projection lag for %s", cfg.Rate, cfg.LagSettle, cfg.LagDuration)
		if err := wait(cfg.LagSettle); err != nil {
			return res, err
		}
		if lagBefore, err = scrapeEventLag(ctx, client, srv.url); err != nil {
			return res, err
		}
		stopTrace, err := startTrace(cfg.LagTrace)
		if err != nil {
			return res, err
		}
		stopLagProfile, err := startCPUProfile(cfg.LagCPUProfile)
		if err != nil {
			stopTrace()
			return res, fmt.Errorf("--lag-cpuprofile: %w", err)
		}
		load.phase.Store(phaseLag)
		l0 := time.Now()
		schedBefore = readSchedLatencies()
		werr := wait(cfg.LagDuration)
		schedAfter = readSchedLatencies()
		lagElapsed = time.Since(l0)
		stopLagProfile()
		stopTrace()
		if werr != nil {
			return res, werr
		}
		if lagAfter, err = scrapeEventLag(ctx, client, srv.url); err != nil {
			return res, err
		}
	}
	load.phase.Store(phaseStop)
	clients.Wait()
	load.probes.Wait()
	stopLoad()

	res = summarise(cfg, stats, elapsed)
	res.CPUSeconds = cpu
	if cpu > 0 {
		res.CommandsPerCPUSec = float64(res.Commands) / cpu
	}
	if writesOK && res.Commands > 0 {
		res.WriteBytesPerCommand = float64(wbytes-wbytes0) / float64(res.Commands)
		res.WriteCallsPerCommand = float64(wcalls-wcalls0) / float64(res.Commands)
	}
	res.StreamResets = watcher.resetCount()
	if cfg.Rate > 0 {
		res.LagRate = cfg.Rate
		res.LagSamples = len(load.lags)
		res.LagStale = load.stale
		res.LagCommandsPerSec = float64(load.paced.Load()) / lagElapsed.Seconds()
		res.ReadYourWriteP50Ms = percentileMs(load.lags, 0.50)
		res.ReadYourWriteP99Ms = percentileMs(load.lags, 0.99)
		res.SchedLatencyP50Ms = schedQuantileMs(schedBefore, schedAfter, 0.50)
		res.SchedLatencyP99Ms = schedQuantileMs(schedBefore, schedAfter, 0.99)
		res.ProjectionLagP99ByName = map[string]float64{}
		for name, after := range lagAfter {
			p99, n := lagQuantile(lagBefore[name], after, 0.99)
			p50, _ := lagQuantile(lagBefore[name], after, 0.50)
			res.ProjectionLagP99ByName[name] = p99
			if p99 >= res.ProjectionLagP99Ms {
				res.ProjectionLagP99Ms, res.ProjectionLagP50Ms, res.LagEvents = p99, p50, int(n)
			}
		}
	}
	say("done")
	return res, nil
}

func summarise(cfg e2eConfig, stats []clientStats, elapsed time.Duration) e2eResult {
	res := e2eResult{Clients: cfg.Clients, DurationSeconds: elapsed.Seconds(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		ErrorsByStatus: map[string]int{}}
	var cmds, offers, seen []time.Duration
	for _, s := range stats {
		cmds = append(cmds, s.commands...)
		offers = append(offers, s.offerLat...)
		seen = append(seen, s.offerSeen...)
		res.Lifecycles += s.lifecycles
		res.OfferReadBacks += s.readBacks
		for k, v := range s.errors {
			res.ErrorsByStatus[k] += v
		}
	}
	res.Commands = len(cmds)
	res.CommandsPerSec = float64(len(cmds)) / elapsed.Seconds()
	res.LifecyclesPerS = float64(res.Lifecycles) / elapsed.Seconds()
	res.CommandP50Ms = percentileMs(cmds, 0.50)
	res.CommandP99Ms = percentileMs(cmds, 0.99)
	res.OfferLatencyP50Ms = percentileMs(offers, 0.50)
	res.OfferLatencyP99Ms = percentileMs(offers, 0.99)
	res.OfferSeenP99Ms = percentileMs(seen, 0.99)
	return res
}

// percentileMs is the q-quantile (nearest rank) of ds in milliseconds, 0
// for none. It sorts ds.
func percentileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds)) + 0.5)
	i = min(max(i-1, 0), len(ds)-1)
	return float64(ds[i].Microseconds()) / 1000
}

// startTrace starts an execution trace into path, if one is asked for, and
// returns what stops it.
func startTrace(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--lag-trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--lag-trace: %w", err)
	}
	return func() { trace.Stop(); f.Close() }, nil
}

// startCPUProfile starts a CPU profile into path, if one is asked for, and
// returns what stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
