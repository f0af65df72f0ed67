package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/ops"
)

// eventsFileName is the embedded event store's file in the data directory.
const eventsFileName = "events.db"

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP server",
		Long: `Run Paidan's HTTP server on the embedded event store (or EventStoreDB).

Settings come from the environment and then from flags (flags win):
  PAIDAN_HTTP_ADDR (--http), PAIDAN_DATA_DIR (--data), PAIDAN_ESDB_URL (--esdb),
  PAIDAN_VIEWS_DSN (--views), PAIDAN_DIRECTORY (--directory), PAIDAN_DEMO (--demo),
  PAIDAN_JWT_SECRET, PAIDAN_JWKS_URL, PAIDAN_AUTO_DISPATCH, PAIDAN_OFFER_TTL,
  PAIDAN_MAX_OFFERS, PAIDAN_LOG_FORMAT (--log-format), PAIDAN_LOG_LEVEL (--log-level).

SIGINT or SIGTERM shuts down gracefully: no new connections, requests in flight
finish, then the store closes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := ops.LoadConfig(os.LookupEnv, cmd.Flags())
			if err != nil {
				return fmt.Errorf("settings:\n%w", err)
			}
			return runServe(cmd.Context(), cfg, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	ops.AddServeFlags(cmd.Flags())
	return cmd
}

// runServe runs the server until ctx is cancelled. It prints the URL (and,
// with --demo on the local secret, tokens to try the API with) to out and
// logs to logOut.
func runServe(ctx context.Context, cfg ops.Config, out, logOut io.Writer) (err error) {
	log, err := ops.NewLogger(logOut, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	log.Info("starting", "config", cfg)

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	// The store closes last, after the HTTP server has let every request in
	// flight finish, so no acknowledged command is cut off mid-append.
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
	server, err := api.NewServer(api.Deps{
		Logger:    log,
		Verifier:  verifier,
		Readiness: readiness,
		Registry:  registry,
	}, api.Config{})
	if err != nil {
		return err
	}

	// Endpoint groups, projections and the dispatcher plug in here: build
	// them on store, register their routes with server.Register, their
	// readiness checks on readiness and their metrics on registry.
	_, commandRoutes, err := newWriteSide(cfg, store)
	if err != nil {
		return err
	}
	server.Register(commandRoutes.Register)
	if cfg.Demo {
		log.Warn("--demo: the demo district's teams and simulated load are not built yet")
	}

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (%s / --%s): %w", cfg.HTTPAddr, ops.EnvHTTPAddr, ops.FlagHTTPAddr, err)
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "Paidan is listening on %s (health %s/healthz, metrics %s/metrics)\n", url, url, url)
	if cfg.Demo && minter != nil {
		printDemoTokens(out, minter)
	}
	return server.Serve(ctx, ln)
}

// openStore picks the concrete event store: only cmd/ knows the adapters.
func openStore(cfg ops.Config) (eventstore.Store, error) {
	if cfg.ESDBURL != "" {
		return nil, fmt.Errorf("%s / --%s is set, but EventStoreDB support not built yet; unset it to use the embedded store",
			ops.EnvESDBURL, ops.FlagESDBURL)
	}
	path := filepath.Join(cfg.DataDir, eventsFileName)
	s, err := embedded.Open(path, embedded.Config{})
	if err != nil {
		return nil, fmt.Errorf("open the embedded event store %s: %w", path, err)
	}
	return s, nil
}

// newVerifier returns the JWKS verifier when PAIDAN_JWKS_URL is set, else the
// local HS256 verifier, which can also mint tokens.
func newVerifier(ctx context.Context, cfg ops.Config) (auth.Verifier, *auth.HMAC, error) {
	if cfg.JWKSURL != "" {
		v, err := auth.NewJWKS(ctx, auth.JWKSConfig{URL: cfg.JWKSURL})
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

func printDemoTokens(out io.Writer, minter *auth.HMAC) {
	fmt.Fprintln(out, "Tokens for trying the API (valid 24h; mint more with `paidan token`):")
	for _, a := range []domain.Actor{
		{Subject: "demo-resident", Role: domain.RoleResident},
		{Subject: "demo-coordinator", Role: domain.RoleCoordinator},
		{Subject: "demo-auditor", Role: domain.RoleAuditor},
		{Subject: "demo-analyst", Role: domain.RoleAnalyst},
	} {
		tok, err := minter.Mint(a, 24*time.Hour)
		if err != nil {
			fmt.Fprintf(out, "  %-11s (could not mint: %v)\n", a.Role, err)
			continue
		}
		fmt.Fprintf(out, "  %-11s %s\n", a.Role, tok)
	}
}
