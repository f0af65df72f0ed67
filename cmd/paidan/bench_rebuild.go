package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// rebuildBenchResult is what `paidan bench rebuild` reports.
type rebuildBenchResult struct {
	Events           uint64  `json:"events"`
	Views            string  `json:"views"`
	GenerateSeconds  float64 `json:"generate_seconds"`
	ScanSeconds      float64 `json:"scan_seconds"`
	ScanEventsPerSec float64 `json:"scan_events_per_sec"`
	RebuildSeconds   float64 `json:"rebuild_seconds"`
	// RebuildCPUSeconds is the process's user+system CPU time during the
	// rebuild: steadier than wall time on a shared machine.
	RebuildCPUSeconds    float64 `json:"rebuild_cpu_seconds"`
	RebuildEventsPerSec  float64 `json:"rebuild_events_per_sec"`
	RebuildOverScanRatio float64 `json:"rebuild_over_scan_ratio"`
	GOMAXPROCS           int     `json:"gomaxprocs"`
	GOGC                 int     `json:"gogc"`
}

// cpuSeconds is the process's user and system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func newBenchRebuildCmd() *cobra.Command {
	var (
		events int
		asJSON bool
		views  string
		seed   uint64
		prof   string
		keep   string
	)
	cmd := &cobra.Command{
		Use:   "rebuild [--events N] [--keep DIR] [--json]",
		Short: "Measure rebuilding every read model from the log",
		Long: `Generate N events of realistic order lifecycles (placed, offered, declined,
expired, withdrawn, accepted, started, completed, rated, cancelled, escalated,
and team changes) into a temporary embedded store, then measure in the same run:

  scan_events_per_sec     the bare ReadAll rate over the whole log (the limit)
  rebuild_events_per_sec  rebuilding every read model from the log

The read models go to a temporary SQLite file, or to PostgreSQL with --views
postgres://… (its tables are replaced).

Generating a million events takes about a minute. With --keep DIR the log is
generated into DIR once and reused by later runs with the same --events and
--seed (generate_seconds is then 0); a DIR holding another log is refused.
The read models are always rebuilt into fresh tables.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if events < 1 {
				return fmt.Errorf("--events must be at least 1, got %d", events)
			}
			tmp, err := os.MkdirTemp("", "paidan-bench-rebuild-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			res := rebuildBenchResult{GOMAXPROCS: runtime.GOMAXPROCS(0), Views: "sqlite", GOGC: tuneGC()}
			storeDir := tmp
			if keep != "" {
				storeDir = keep
			}
			start := time.Now()
			store, generated, err := openBenchStore(ctx, storeDir, benchLog{Events: events, Seed: seed, Teams: benchTeams}, keep != "", func() {
				if !asJSON {
					fmt.Fprintf(cmd.ErrOrStderr(), "generating %d events…\n", events)
				}
			})
			if err != nil {
				return err
			}
			defer store.Close()
			if generated {
				res.GenerateSeconds = time.Since(start).Seconds()
			}

			start = time.Now()
			var scanned uint64
			for from := eventstore.Position(1); ; {
				page, err := store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Limit: 4096})
				if err != nil {
					return fmt.Errorf("scan: %w", err)
				}
				if len(page) == 0 {
					break
				}
				scanned += uint64(len(page))
				from = page[len(page)-1].Position + 1
			}
			res.ScanSeconds = time.Since(start).Seconds()
			res.ScanEventsPerSec = float64(scanned) / res.ScanSeconds

			cfg := projections.ViewsConfig{DataDir: tmp}
			if views != "" {
				cfg = projections.ViewsConfig{DSN: views}
				res.Views = "postgres"
			}
			v, err := projections.OpenViews(ctx, cfg)
			if err != nil {
				return err
			}
			defer v.Close()
			if prof != "" {
				f, err := os.Create(prof)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			var progress func(projections.Progress)
			if !asJSON {
				progress = func(p projections.Progress) {
					fmt.Fprintf(cmd.ErrOrStderr(), "\rrebuild: %d/%d events, %.0f events/s, eta %s   ",
						p.Events, p.Head, p.Rate, p.ETA.Round(time.Second))
				}
			}
			cpu0 := cpuSeconds()
			rr, err := projections.Rebuild(ctx, store, v, projections.RebuildConfig{
				Projections: projections.Definitions(), Decode: projections.DecodeDomainFast, Progress: progress})
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintln(cmd.ErrOrStderr())
			}
			res.RebuildCPUSeconds = cpuSeconds() - cpu0
			res.Events = rr.Events
			res.RebuildSeconds = rr.Elapsed.Seconds()
			res.RebuildEventsPerSec = float64(rr.Events) / res.RebuildSeconds
			res.RebuildOverScanRatio = res.RebuildEventsPerSec / res.ScanEventsPerSec
			if rr.Parked > 0 {
				return fmt.Errorf("rebuild parked %d events of a generated log; the figures are not comparable", rr.Parked)
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "events                  %d\n", res.Events)
			fmt.Fprintf(w, "read models             %s\n", res.Views)
			fmt.Fprintf(w, "scan_events_per_sec     %.0f  (%.2fs)\n", res.ScanEventsPerSec, res.ScanSeconds)
			fmt.Fprintf(w, "rebuild_events_per_sec  %.0f  (%.2fs, %.2f CPU-s)\n", res.RebuildEventsPerSec, res.RebuildSeconds, res.RebuildCPUSeconds)
			fmt.Fprintf(w, "rebuild / scan          %.2f\n", res.RebuildOverScanRatio)
			fmt.Fprintf(w, "GOMAXPROCS %d, GOGC %d\n", res.GOMAXPROCS, res.GOGC)
			return nil
		},
	}
	cmd.Flags().IntVar(&events, "events", 1_000_000, "events to generate")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().StringVar(&views, "views", "", "postgres://… to rebuild into PostgreSQL instead of a temporary SQLite file")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "generator seed")
	cmd.Flags().StringVar(&prof, "cpuprofile", "", "write a CPU profile of the rebuild to this file")
	cmd.Flags().StringVar(&keep, "keep", "", "generate the log into this directory once and reuse it in later runs with the same --events and --seed")
	return cmd
}
