package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newBenchStoreCmd is replaced by the embedded store's benchmark.
func newBenchStoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "store",
		Short: "Measure the embedded event store",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("not built yet")
		},
	}
}
