package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/app/simulate"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/ops"
)

func newSimulateCmd() *cobra.Command {
	var (
		url, dataDir, directory string
		cfg                     simulate.Config
		offerTTL                time.Duration
		maxOffers               int
		progress                time.Duration
		asJSON, skipSetup       bool
	)
	cmd := &cobra.Command{
		Use:   "simulate [--url URL] [--orders N] [--teams N] …",
		Short: "Play a generated district's residents and teams against Paidan",
		Long: `Register a generated district's volunteer teams and play residents placing
orders and teams accepting, declining, ignoring (the offer expires), completing
and rating, with the given probabilities and delays. A progress line goes to
stderr every --progress; the final counts go to stdout.

With --url it drives a running server over HTTP, signing tokens with the
server's secret (PAIDAN_JWT_SECRET, or the one generated in --data). Without
--url it runs in-process: the write side and the dispatcher on an embedded store
in --data (a temporary directory when --data is not given), with --offer-ttl
and --max-offers.

Teams are registered idempotently, so simulating again against the same server
reuses them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			if !cmd.Flags().Changed("data") {
				if v, ok := os.LookupEnv(ops.EnvDataDir); ok && v != "" {
					dataDir = v
				}
			}
			dir, err := loadDirectory(ops.Config{Directory: directory})
			if err != nil {
				return err
			}
			var drv simulate.Driver
			if url != "" {
				if drv, err = httpDriver(url, dataDir); err != nil {
					return err
				}
			} else {
				if !cmd.Flags().Changed("data") && os.Getenv(ops.EnvDataDir) == "" {
					tmp, err := os.MkdirTemp("", "paidan-simulate-")
					if err != nil {
						return err
					}
					defer os.RemoveAll(tmp)
					dataDir = tmp
				}
				in, stop, err := inProcess(ctx, dataDir, dir, offerTTL, maxOffers, log)
				if err != nil {
					return err
				}
				defer stop()
				drv = in
			}
			sim, err := simulate.New(drv, dir, cfg, log)
			if err != nil {
				return err
			}
			return runSimulation(ctx, sim, !skipSetup, progress, asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	d := simulate.Config{Teams: domain.DemoTeamCount, Orders: 1000, Seed: 1, Concurrency: 32, Residents: 5000,
		Accept: 0.8, Decline: 0.1, Cancel: 0.02, Rate: 0.9, Poll: 50 * time.Millisecond, OrderTimeout: 2 * time.Minute}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "base URL of a running server (http://127.0.0.1:8080); empty runs in-process")
	f.StringVar(&dataDir, "data", ops.DefaultConfig().DataDir, "data directory: the server's secret with --url, the store in-process (env "+ops.EnvDataDir+")")
	f.StringVar(&directory, "directory", os.Getenv(ops.EnvDirectory), "JSON file of institutes and stations (env "+ops.EnvDirectory+"); empty for the demo district")
	f.IntVar(&cfg.Teams, "teams", d.Teams, "teams to generate and register")
	f.IntVar(&cfg.Orders, "orders", d.Orders, "orders to place; 0 runs until interrupted")
	f.Int64Var(&cfg.Seed, "seed", d.Seed, "seed of the district and of every choice")
	f.IntVar(&cfg.Concurrency, "concurrency", d.Concurrency, "orders in flight at once")
	f.Float64Var(&cfg.OrderRate, "rate", 0, "orders placed per second at most; 0 for as fast as --concurrency allows")
	f.IntVar(&cfg.Residents, "residents", d.Residents, "residents placing the orders")
	f.Float64Var(&cfg.Accept, "accept", d.Accept, "chance a team accepts an offer")
	f.Float64Var(&cfg.Decline, "decline", d.Decline, "chance a team declines an offer (the rest are ignored and expire)")
	f.Float64Var(&cfg.Cancel, "cancel", d.Cancel, "chance a resident cancels while waiting")
	f.Float64Var(&cfg.Rate, "rating", d.Rate, "chance a resident rates a completed order")
	f.DurationVar(&cfg.Think, "think", 0, "longest a team takes to answer an offer")
	f.DurationVar(&cfg.Service, "service", 0, "longest a service takes")
	f.DurationVar(&cfg.Poll, "poll", d.Poll, "how often an order's state is read while waiting")
	f.DurationVar(&cfg.OrderTimeout, "order-timeout", d.OrderTimeout, "longest an order may wait before it counts as stuck")
	f.DurationVar(&offerTTL, "offer-ttl", 2*time.Second, "in-process: how long a team has to answer an offer")
	f.IntVar(&maxOffers, "max-offers", dispatcher.DefaultMaxOffers, "in-process: declined or expired offers before escalation")
	f.DurationVar(&progress, "progress", time.Second, "how often to print progress to stderr; 0 for never")
	f.BoolVar(&asJSON, "json", false, "print the final counts as JSON")
	f.BoolVar(&skipSetup, "no-setup", false, "do not register the district's teams (they are registered already)")
	return cmd
}

// runSimulation registers the teams, plays the orders with a progress line
// and prints the result.
func runSimulation(ctx context.Context, sim *simulate.Simulator, setup bool, every time.Duration, asJSON bool, out, progress io.Writer) error {
	if setup {
		start := time.Now()
		n, err := sim.Setup(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(progress, "registered %d teams in %s\n", n, time.Since(start).Round(time.Millisecond))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if every <= 0 {
			<-stop
			return
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				fmt.Fprintln(progress, sim.Stats())
			}
		}
	}()
	st, err := sim.Run(ctx)
	close(stop)
	<-done
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(st); jerr != nil {
			return errors.Join(err, jerr)
		}
	} else {
		fmt.Fprintln(out, st)
		fmt.Fprintf(out, "offers %d (declined %d, ignored %d), all with decision records: %v\n",
			st.Offers, st.Declined, st.Ignored, st.Undecided == 0)
	}
	if err == nil && st.Stuck+st.Failed > 0 {
		err = fmt.Errorf("%d orders stuck and %d failed", st.Stuck, st.Failed)
	}
	return err
}

// httpDriver signs tokens with the server's secret.
func httpDriver(url, dataDir string) (*simulate.HTTP, error) {
	secret, err := auth.LoadOrCreateSecret(dataDir, os.Getenv(ops.EnvJWTSecret))
	if err != nil {
		return nil, fmt.Errorf("the server's secret (PAIDAN_JWT_SECRET or --data): %w", err)
	}
	minter, err := auth.NewHMAC(secret, auth.HMACConfig{})
	if err != nil {
		return nil, err
	}
	return simulate.NewHTTP(simulate.HTTPConfig{URL: url,
		Token: func(a domain.Actor) (string, error) { return minter.Mint(a, 24*time.Hour) }})
}

// inProcess opens the embedded store in dataDir and runs the write side and
// the dispatcher on it; stop ends the dispatcher and closes the store.
func inProcess(ctx context.Context, dataDir string, dir *domain.Directory, ttl time.Duration, maxOffers int, log *slog.Logger) (*simulate.InProcess, func(), error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, nil, err
	}
	store, err := openStore(ops.Config{DataDir: dataDir})
	if err != nil {
		return nil, nil, err
	}
	cmds, err := app.New(app.Deps{Store: store, Directory: dir}, app.Config{OfferTTL: ttl})
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	cfg := dispatcher.DefaultConfig()
	cfg.MaxOffers = maxOffers
	cfg.TickInterval = min(time.Second, max(ttl/4, 10*time.Millisecond))
	_, stopDispatcher, err := startDispatcher(ctx, dispatcher.Deps{Store: store, Commands: cmds, Logger: log}, dataDir, cfg)
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	drv, err := simulate.NewInProcess(cmds, store)
	if err != nil {
		stopDispatcher()
		_ = store.Close()
		return nil, nil, err
	}
	return drv, func() {
		stopDispatcher()
		if err := store.Close(); err != nil {
			log.Error("close the event store", "error", err)
		}
	}, nil
}

// runDemoLoad is `serve --demo`'s simulated district: it registers the demo
// district's teams (once: registering again changes nothing) and keeps a
// gentle load running in-process until ctx ends.
func runDemoLoad(ctx context.Context, cmds *app.Commands, store eventstore.Store, log *slog.Logger) error {
	drv, err := simulate.NewInProcess(cmds, store)
	if err != nil {
		return err
	}
	sim, err := simulate.New(drv, cmds.Directory(), simulate.DemoConfig(), log)
	if err != nil {
		return err
	}
	if _, err := sim.Setup(ctx); err != nil {
		return fmt.Errorf("demo: register the district's teams: %w", err)
	}
	_, err = sim.Run(ctx)
	return err
}
