package main

import "github.com/spf13/cobra"

// newBenchCmd groups the benchmarks. Each prints a table, or one JSON object
// with --json, so every figure in the README can be rerun by anyone.
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure Paidan on this machine",
	}
	cmd.AddCommand(
		newBenchStoreCmd(),
		newBenchRebuildCmd(),
		newBenchE2ECmd(),
	)
	return cmd
}
