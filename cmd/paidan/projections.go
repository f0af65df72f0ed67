package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/paidan/paidan/ops"
	"github.com/paidan/paidan/projections"
)

// projectionsFlags are the settings the projections tools share with serve.
type projectionsFlags struct {
	data, views, esdb string
}

func (f *projectionsFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, ops.FlagDataDir, "", "data directory (env "+ops.EnvDataDir+", default ./data)")
	cmd.Flags().StringVar(&f.views, ops.FlagViewsDSN, "", "postgres://… read models (env "+ops.EnvViewsDSN+"); empty: SQLite in the data directory")
	cmd.Flags().StringVar(&f.esdb, ops.FlagESDBURL, "", "EventStoreDB connection string (env "+ops.EnvESDBURL+")")
}

// config resolves flags over the environment over defaults.
func (f *projectionsFlags) config() ops.Config {
	pick := func(flag, env, def string) string {
		if flag != "" {
			return flag
		}
		if v := os.Getenv(env); v != "" {
			return v
		}
		return def
	}
	return ops.Config{
		DataDir:  pick(f.data, ops.EnvDataDir, "./data"),
		ViewsDSN: pick(f.views, ops.EnvViewsDSN, ""),
		ESDBURL:  pick(f.esdb, ops.EnvESDBURL, ""),
	}
}

func newProjectionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "projections",
		Short: "Rebuild read models and show their progress",
	}
	cmd.AddCommand(newProjectionsRebuildCmd(), newProjectionsStatusCmd(), newProjectionsParkedCmd())
	return cmd
}

func newProjectionsRebuildCmd() *cobra.Command {
	var (
		f    projectionsFlags
		only []string
	)
	cmd := &cobra.Command{
		Use:   "rebuild [--only NAME]…",
		Short: "Replay the log into fresh read-model tables and swap them in",
		Long: `Replay the whole event log into fresh tables for every projection (or the
ones named with --only) and replace the live tables with them in one
transaction: readers see the old tables until the new ones are complete.

Projections: orders (with the SLA figures), queue, teams, offers,
satisfaction. The embedded
store admits one process at a time, so stop the server first (with
EventStoreDB and PostgreSQL read models the server may keep running).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			tuneGC()
			cfg := f.config()
			store, err := openStore(cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			views, err := projections.OpenViews(ctx, projections.ViewsConfig{DSN: cfg.ViewsDSN, DataDir: cfg.DataDir})
			if err != nil {
				return err
			}
			defer views.Close()
			bar := progressbar.NewOptions64(-1,
				progressbar.OptionSetWriter(cmd.ErrOrStderr()),
				progressbar.OptionSetDescription("rebuild"),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond))
			res, err := projections.Rebuild(ctx, store, views, projections.RebuildConfig{
				Projections: projections.Definitions(), Decode: projections.DecodeDomainFast,
				Progress: func(p projections.Progress) {
					bar.ChangeMax64(int64(max(p.Head, p.Position)))
					bar.Set64(int64(p.Position))
				}}, only...)
			bar.Finish()
			fmt.Fprintln(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rebuilt %v: %d events up to position %d in %s (%.0f events/s), %d parked\n",
				res.Projections, res.Events, res.Position, res.Elapsed.Round(time.Millisecond),
				float64(res.Events)/max(res.Elapsed.Seconds(), 1e-9), res.Parked)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringSliceVar(&only, "only", nil, "rebuild only these projections (repeat or comma-separate)")
	return cmd
}

func newProjectionsStatusCmd() *cobra.Command {
	var (
		f      projectionsFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show each projection's position, lag and parked events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg := f.config()
			store, err := openStore(cfg)
			if err != nil {
				return err
			}
			defer store.Close()
			views, err := projections.OpenViews(ctx, projections.ViewsConfig{DSN: cfg.ViewsDSN, DataDir: cfg.DataDir})
			if err != nil {
				return err
			}
			defer views.Close()
			st, err := projections.ReadStatus(ctx, store, views)
			if err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"projections": st})
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PROJECTION\tPOSITION\tHEAD\tLAG\tLAG SECONDS\tPARKED\tUPDATED")
			for _, s := range st {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.1f\t%d\t%s\n", s.Projection, s.Position, s.Head, s.Lag, s.LagSeconds,
					s.Parked, s.UpdatedAt.Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
	f.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newProjectionsParkedCmd() *cobra.Command {
	var (
		f          projectionsFlags
		projection string
		limit      int
	)
	cmd := &cobra.Command{
		Use:   "parked [--projection NAME] [--limit N]",
		Short: "List events projections could not apply and skipped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := f.config()
			views, err := projections.OpenViews(cmd.Context(), projections.ViewsConfig{DSN: cfg.ViewsDSN, DataDir: cfg.DataDir})
			if err != nil {
				return err
			}
			defer views.Close()
			parked, err := views.Parked(cmd.Context(), projection, limit)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"parked": parked})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&projection, "projection", "", "only this projection's parked events")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many, newest first (max 1000)")
	return cmd
}
