package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/ops"
	"github.com/paidan/paidan/projections"
)

// projectionsFlags are the settings the projections tools share with serve.
type projectionsFlags struct {
	data, views, esdb string
	// http and token reach a running server that holds the embedded store.
	http, token string
}

func (f *projectionsFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, ops.FlagDataDir, "", "data directory (env "+ops.EnvDataDir+", default ./data)")
	cmd.Flags().StringVar(&f.views, ops.FlagViewsDSN, "", "postgres://… read models (env "+ops.EnvViewsDSN+"); empty: SQLite in the data directory")
	cmd.Flags().StringVar(&f.esdb, ops.FlagESDBURL, "", "EventStoreDB connection string (env "+ops.EnvESDBURL+")")
	cmd.Flags().StringVar(&f.http, ops.FlagHTTPAddr, "", "address of the server holding the embedded store, used when it runs (env "+ops.EnvHTTPAddr+", default 127.0.0.1:8080)")
	cmd.Flags().StringVar(&f.token, "token", "", "an admin's bearer token for that server (env "+EnvToken+"); default: one signed with the data directory's secret")
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
		HTTPAddr: pick(f.http, ops.EnvHTTPAddr, "127.0.0.1:8080"),
		// The server's token settings, to sign a token it accepts.
		JWTSecret: os.Getenv(ops.EnvJWTSecret),
		JWKSURL:   os.Getenv(ops.EnvJWKSURL),
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
satisfaction. The embedded store admits one process at a time: when a
server holds it, the rebuild runs inside that server (POST
/api/v1/projections/rebuild, reached at --http as an admin) and this
command follows it, so nothing has to stop. With EventStoreDB the rebuild
runs here while the server keeps running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			tuneGC()
			cfg := f.config()
			store, err := openStore(cfg)
			if storeHeldBy(err) {
				return rebuildThroughServer(cmd, cfg, f.token, only)
			}
			if err != nil {
				return err
			}
			defer store.Close()
			views, err := projections.OpenViews(ctx, projections.ViewsConfig{DSN: cfg.ViewsDSN, DataDir: cfg.DataDir})
			if err != nil {
				return err
			}
			defer views.Close()
			bar := &rebuildBar{w: cmd.ErrOrStderr(), desc: "rebuild"}
			res, err := projections.Rebuild(ctx, store, views, projections.RebuildConfig{
				Projections: projections.Definitions(), Decode: projections.DecodeDomainFast,
				Progress: func(p projections.Progress) { bar.set(p.Position, p.Head) }}, only...)
			bar.finish()
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
			st, err := readProjectionStatus(cmd, f.config(), f.token)
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

// readProjectionStatus reads the status from the store and read models, or
// from the server holding the embedded store.
func readProjectionStatus(cmd *cobra.Command, cfg ops.Config, token string) ([]projections.Status, error) {
	ctx := cmd.Context()
	store, err := openStore(cfg)
	if storeHeldBy(err) {
		remote, rerr := newRemoteProjections(cfg, token)
		if rerr != nil {
			return nil, fmt.Errorf("%w; and %v", err, rerr)
		}
		fmt.Fprintln(cmd.ErrOrStderr(), remoteHint(remote))
		return remote.status(ctx)
	}
	if err != nil {
		return nil, err
	}
	defer store.Close()
	views, err := projections.OpenViews(ctx, projections.ViewsConfig{DSN: cfg.ViewsDSN, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	defer views.Close()
	return projections.ReadStatus(ctx, store, views)
}

// rebuildThroughServer has the server that holds the embedded store rebuild
// the read models and shows its progress.
func rebuildThroughServer(cmd *cobra.Command, cfg ops.Config, token string, only []string) error {
	remote, err := newRemoteProjections(cfg, token)
	if err != nil {
		return fmt.Errorf("the embedded store is held by a running server, and it cannot be reached: %w", err)
	}
	fmt.Fprintln(cmd.ErrOrStderr(), remoteHint(remote))
	bar := &rebuildBar{w: cmd.ErrOrStderr(), desc: "rebuild (in the server)"}
	st, err := remote.rebuild(cmd.Context(), only, 250*time.Millisecond, func(s api.RebuildStatus) { bar.set(s.Position, s.Head) })
	bar.finish()
	if err != nil {
		return err
	}
	elapsed := time.Duration(0)
	if st.FinishedAt != nil {
		elapsed = st.FinishedAt.Sub(st.StartedAt)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "rebuilt %v in the server: %d events up to position %d in %s (%.0f events/s), %d parked\n",
		st.Projections, st.Events, st.Position, elapsed.Round(time.Millisecond), st.EventsPerSec, st.Parked)
	return nil
}

// rebuildBar draws a rebuild's progress, from its first report on: its
// size is known from the start, as an open-ended bar runs a spinner
// goroutine that reads the bar without its lock.
type rebuildBar struct {
	w    io.Writer
	desc string
	bar  *progressbar.ProgressBar
}

func (b *rebuildBar) set(position, head uint64) {
	size := int64(max(head, position, 1))
	if b.bar == nil {
		b.bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(b.desc),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond))
	}
	if size != b.bar.GetMax64() {
		b.bar.ChangeMax64(size)
	}
	_ = b.bar.Set64(int64(position))
}

func (b *rebuildBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}
