package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/ops"
)

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server",
		Long: `Run Paidan's HTTP server on the embedded event store (or EventStoreDB),
with the read models' projections, the automatic dispatcher and offer expiry
running beside it, and with --demo a simulated district (its teams registered
once, a light load of orders) so the dashboard at /dashboard/ is alive.

Settings come from the environment and then from flags (flags win):
  PAIDAN_HTTP_ADDR (--http), PAIDAN_DATA_DIR (--data), PAIDAN_ESDB_URL (--esdb),
  PAIDAN_VIEWS_DSN (--views), PAIDAN_DIRECTORY (--directory), PAIDAN_DEMO (--demo),
  PAIDAN_JWT_SECRET, PAIDAN_JWKS_URL, PAIDAN_JWT_ISSUER, PAIDAN_JWT_AUDIENCE,
  PAIDAN_AUTO_DISPATCH, PAIDAN_OFFER_TTL, PAIDAN_MAX_OFFERS, PAIDAN_CACHE_STREAMS,
  PAIDAN_PROJECTION_LINGER, PAIDAN_LOG_FORMAT (--log-format), PAIDAN_LOG_LEVEL (--log-level).

With EventStoreDB unreachable the server keeps running: commands answer 503
store_unavailable, /readyz reports the store down, and the projections and the
dispatcher resume from their checkpoints when it returns.

SIGINT or SIGTERM shuts down in order: no new connections and requests in
flight finish; the simulated load and the dispatcher stop; the projections
apply what was appended and stop; the read models close; the store closes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := ops.LoadConfig(os.LookupEnv, cmd.Flags())
			if err != nil {
				return fmt.Errorf("settings:\n%w", err)
			}
			tuneGC()
			return runServe(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	ops.AddServeFlags(cmd.Flags())
	return cmd
}

// settleTimeout bounds how long shutdown lets the projections apply what
// was appended before the writers stopped.
const settleTimeout = 5 * time.Second

// runServe runs the server until ctx is cancelled. It prints the URL (and,
// with --demo on the local secret, the dashboard and tokens to try the API
// with) to out and logs to logOut.
//
// Beside HTTP it runs the projections pipeline, the dispatcher and, with
// --demo, the simulated district. Shutdown goes in dependency order: HTTP
// stops accepting and lets requests in flight finish; then the simulator and
// the dispatcher stop, then the pipeline; then the read models close, and the
// event store closes last.
func runServe(ctx context.Context, cfg ops.Config, out, logOut io.Writer) (err error) {
	log, err := ops.NewLogger(logOut, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	log.Info("starting", "config", cfg)

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	if err := claimDataDir(cfg); err != nil {
		return err
	}
	store, err := openStoreLogged(ctx, cfg, log.With("component", "eventstore"))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := store.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close event store: %w", cerr))
		} else {
			log.Info("event store closed")
		}
	}()

	verifier, minter, err := newVerifier(ctx, cfg)
	if err != nil {
		return err
	}
	registry := ops.NewRegistry()
	readiness := ops.NewReadiness(0)
	if err := readiness.Register("store", ops.StoreCheck(store)); err != nil {
		return err
	}

	reads, err := openReadSide(ctx, cfg, store, registry, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := reads.close(); cerr != nil {
			err = errors.Join(err, cerr)
		} else {
			log.Info("read models closed")
		}
	}()
	if err := readiness.Register("projections", reads.caughtUp); err != nil {
		return err
	}

	// Automatic dispatch reads the teams from app.LogTeams, its own fold of
	// the log, not from the teams read model: with the demo district's 1,871
	// teams one call costs about 1.4 ms against 22 ms for reading them back
	// from SQLite (BenchmarkTeamSource at commit b10f0f0), and every
	// automatic offer makes one.
	cmds, commandRoutes, err := newWriteSide(cfg, store, nil)
	if err != nil {
		return err
	}
	for _, c := range streamCacheCollectors(cmds) {
		if err := registry.Register(c); err != nil {
			return fmt.Errorf("write-side metrics: %w", err)
		}
	}
	readRoutes, err := reads.routes(store)
	if err != nil {
		return err
	}

	dlog := log.With("component", "dispatcher")
	offers := projectionOffers{reader: reads.reader, pipeline: reads.pipe}
	disp, err := newDispatcher(dispatcher.Deps{Store: store, Commands: cmds, Due: offers, TeamOffers: offers, Logger: dlog},
		cfg.DataDir, dispatcherConfig(cfg))
	if err != nil {
		return err
	}
	for _, c := range disp.Collectors() {
		if err := registry.Register(c); err != nil {
			return fmt.Errorf("dispatcher metrics: %w", err)
		}
	}
	if err := readiness.Register("dispatcher", func(context.Context) error {
		if !disp.CaughtUp() {
			return errors.New("the dispatcher has not yet caught up with the event log since start")
		}
		return nil
	}); err != nil {
		return err
	}

	server, err := api.NewServer(api.Deps{
		Logger:    log,
		Verifier:  verifier,
		Readiness: readiness,
		Registry:  registry,
	}, api.Config{})
	if err != nil {
		return err
	}
	server.Register(commandRoutes.Register)
	readRoutes.Mount(server)

	var team *domain.DistrictTeam
	if cfg.Demo {
		t, err := demoTeam(cmds.Directory())
		if err != nil {
			return err
		}
		team = &t
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (%s / --%s): %w", cfg.HTTPAddr, ops.EnvHTTPAddr, ops.FlagHTTPAddr, err)
	}

	// A pipeline that fails cannot be restarted in the process, and without
	// it every read goes stale: it ends the server, with its error.
	serveCtx, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	pipeline := startTask(ctx, func(ctx context.Context) error {
		err := reads.run(ctx)
		if err != nil {
			fail(err)
		}
		return err
	})
	dispatching := startTask(ctx, supervised("dispatcher", dlog, disp.Run))
	var demo *task
	if cfg.Demo {
		demo = startTask(ctx, demoLoad(cmds, store, log))
	}

	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "Paidan is listening on %s (health %s/healthz, readiness %s/readyz, metrics %s/metrics)\n", url, url, url, url)
	switch {
	case cfg.Demo && minter != nil:
		printDemoStart(out, url, minter, team)
	case cfg.Demo:
		fmt.Fprintf(out, "Dashboard: %s%s (tokens come from the identity provider at %s)\n", url, api.DashboardPath, ops.EnvJWKSURL)
	}

	serveErr := server.Serve(serveCtx, ln)
	log.Info("HTTP stopped")
	readRoutes.StopRebuild() // before the projections and read models stop
	if demo != nil {
		_ = demo.stop()
		log.Info("demo load stopped")
	}
	_ = dispatching.stop()
	log.Info("dispatcher stopped")
	if !pipeline.finished() {
		settleCtx, settled := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		if err := reads.settle(settleCtx, store); err != nil {
			log.Warn("stopping the projections before they applied the whole log", "error", err)
		}
		settled()
	}
	pipeErr := pipeline.stop()
	log.Info("projections stopped")
	return errors.Join(serveErr, pipeErr)
}

// newVerifier returns the JWKS verifier when PAIDAN_JWKS_URL is set, else the
// local HS256 verifier, which can also mint tokens.
func newVerifier(ctx context.Context, cfg ops.Config) (auth.Verifier, *auth.HMAC, error) {
	if cfg.JWKSURL != "" {
		v, err := auth.NewJWKS(ctx, auth.JWKSConfig{URL: cfg.JWKSURL, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", ops.EnvJWKSURL, err)
		}
		return v, nil, nil
	}
	secret, err := auth.LoadOrCreateSecret(cfg.DataDir, cfg.JWTSecret)
	if err != nil {
		return nil, nil, err
	}
	h, err := auth.NewHMAC(secret, auth.HMACConfig{})
	if err != nil {
		return nil, nil, err
	}
	return h, h, nil
}
