package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/eventstore/storebench"
)

// newBenchStoreCmd measures the embedded store against plain SQLite in a
// temporary directory it removes afterwards.
func newBenchStoreCmd() *cobra.Command {
	var (
		asJSON bool
		dir    string
		events int
		rounds int
	)
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Measure the embedded event store (appends, loads) against plain SQLite",
		Long: `Measures the embedded event store in a temporary directory (removed afterwards):
single-event appends by 1, 16 and 64 concurrent writers, 5-event appends by 16,
loading 10,000 streams of 5 events, and the same rows inserted into plain SQLite
by 64 writers through a naive single-writer batcher, the limit the store is
measured against; then how long a live subscriber waits for an event at 1,000
appends/s. Progress goes to stderr; the table (or with --json one JSON object)
to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tmp, err := os.MkdirTemp(dir, "paidan-bench-store-")
			if err != nil {
				return fmt.Errorf("bench store: %w", err)
			}
			defer os.RemoveAll(tmp)
			open := func(path string) (eventstore.Store, error) {
				return embedded.Open(path, embedded.Config{})
			}
			res, err := storebench.Run(cmd.Context(), open, storebench.Config{
				Dir:      tmp,
				Events:   events,
				Rounds:   rounds,
				Progress: cmd.ErrOrStderr(),
			})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				return enc.Encode(res)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "scenario\tevents/s")
			for _, row := range []struct {
				name string
				v    float64
			}{
				{"append, 1 writer", res.AppendC1},
				{"append, 16 writers", res.AppendC16},
				{"append, 64 writers", res.AppendC64},
				{"append 5 events, 16 writers", res.Append5C16},
				{"load 10,000 streams × 5", res.Load},
				{"baseline: plain SQLite, 64 writers", res.BaselineC64},
			} {
				fmt.Fprintf(tw, "%s\t%9.0f\n", row.name, row.v)
			}
			fmt.Fprintf(tw, "append c64 / baseline\t%9.2f\n", res.C64VsBase)
			fmt.Fprintf(tw, "live lag p50 / p99 at %d appends/s (ms)\t%.2f / %.2f\n", res.LagRate, res.LagP50Ms, res.LagP99Ms)
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "(%d events per append scenario; c64, baseline and load: best of %d rounds; %s, GOMAXPROCS %d)\n",
				res.EventsPerRun, res.Rounds, res.GoVersion, res.GOMAXPROCS)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of a table")
	cmd.Flags().StringVar(&dir, "dir", "", "parent of the temporary directory (default: the system's)")
	cmd.Flags().IntVar(&events, "events", 20_000, "events per append scenario")
	cmd.Flags().IntVar(&rounds, "rounds", 3, "rounds of the c64/baseline pair and of the load; the best counts")
	return cmd
}
