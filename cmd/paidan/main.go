// Command paidan is Paidan's one binary: the server, the token minter, the
// auditors' and operators' tools and the benchmarks.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "paidan:", err)
		os.Exit(1)
	}
}

// run owns the process's signals: SIGINT and SIGTERM cancel the context every
// command runs under, so servers shut down gracefully and tools stop cleanly.
func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "paidan",
		Short: "Paidan (派单): event-sourced order dispatch for volunteer-service platforms",
		Long: `Paidan takes residents' orders for help (点单), dispatches them to volunteer
teams (派单), and records every step as an immutable event.

Start here:
  paidan serve --demo      run the server on the embedded store with a demo district
  paidan bench store       measure the event store`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCmd(),
		newTokenCmd(),
		newBenchCmd(),
		newSimulateCmd(),
		newProjectionsCmd(),
	)
	return root
}
