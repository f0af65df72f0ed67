package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/ops"
)

// Deps are what the server needs from the rest of the process.
type Deps struct {
	// Logger receives one line per request and every server error; required.
	Logger *slog.Logger
	// Verifier signs requests in; required.
	Verifier auth.Verifier
	// Readiness holds the checks of /readyz; optional, default none (ready).
	Readiness *ops.Readiness
	// Registry receives the HTTP metrics and is served at /metrics; optional,
	// default ops.NewRegistry().
	Registry *prometheus.Registry
}

// Config tunes the server. The zero Config is valid.
type Config struct {
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once shutdown begins; optional, default 15s.
	ShutdownTimeout time.Duration
	// ReadHeaderTimeout bounds reading a request's headers; optional, default 10s.
	ReadHeaderTimeout time.Duration
	// RatePerSecond is each subject's sustained request rate on /api/v1;
	// optional, default 50; negative disables the limiter.
	RatePerSecond float64
	// RateBurst is each subject's burst; optional, default 100.
	RateBurst int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout: expected zero (default) or more, found %s", c.ShutdownTimeout))
	}
	if c.ReadHeaderTimeout < 0 {
		errs = append(errs, fmt.Errorf("read header timeout: expected zero (default) or more, found %s", c.ReadHeaderTimeout))
	}
	if c.RateBurst < 0 {
		errs = append(errs, fmt.Errorf("rate burst: expected zero (default) or more, found %d", c.RateBurst))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = 50
	}
	if c.RateBurst == 0 {
		c.RateBurst = 100
	}
}

// APIPrefix is where the signed-in JSON API lives.
const APIPrefix = "/api/v1"

// Server is Paidan's HTTP server: the JSON API under /api/v1 (signed in,
// rate limited), /healthz, /readyz and /metrics, with one error envelope for
// every failure.
type Server struct {
	cfg       Config
	log       *slog.Logger
	verifier  auth.Verifier
	readiness *ops.Readiness
	registry  *prometheus.Registry
	metrics   *ops.HTTPMetrics
	echo      *echo.Echo
	api       *echo.Group

	serving      atomic.Bool
	shutdownOnce sync.Once
	shuttingDown chan struct{}
}

// NewServer builds the server with its middleware and the health and metrics
// endpoints. Endpoint groups are added with Register before Serve.
func NewServer(deps Deps, cfg Config) (*Server, error) {
	if deps.Logger == nil || deps.Verifier == nil {
		return nil, errors.New("api server: Logger and Verifier are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("api server: %w", err)
	}
	cfg.setDefaults()
	if deps.Readiness == nil {
		deps.Readiness = ops.NewReadiness(0)
	}
	if deps.Registry == nil {
		deps.Registry = ops.NewRegistry()
	}
	metrics, err := ops.NewHTTPMetrics(deps.Registry)
	if err != nil {
		return nil, fmt.Errorf("api server: %w", err)
	}
	s := &Server{
		cfg:          cfg,
		log:          deps.Logger,
		verifier:     deps.Verifier,
		readiness:    deps.Readiness,
		registry:     deps.Registry,
		metrics:      metrics,
		echo:         echo.New(),
		shuttingDown: make(chan struct{}),
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The peer address, not X-Forwarded-For, which any client can write.
	// Behind a trusted proxy, set e.IPExtractor through Echo().
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(requestIDMiddleware, s.observe, s.recoverMiddleware, bodyLimit(MaxBodyBytes))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(ops.MetricsHandler(s.registry)))

	mw := []echo.MiddlewareFunc{s.authenticate}
	if cfg.RatePerSecond > 0 {
		mw = append(mw, newRateLimiter(cfg.RatePerSecond, cfg.RateBurst).middleware)
	}
	s.api = e.Group(APIPrefix, mw...)
	return s, nil
}

// Register lets an endpoint group add its routes to /api/v1. Every route
// there is signed in and rate limited; guard roles per route with
// RequireRole, bind bodies with Bind, and return errors for Classify.
// Call it before Serve.
func (s *Server) Register(routes func(g *echo.Group)) { routes(s.api) }

// Echo exposes the router for routes outside /api/v1 that do their own
// sign-in (the dashboard's assets, an SSE stream signed in by ticket).
func (s *Server) Echo() *echo.Echo { return s.echo }

// Readiness is the set of checks behind /readyz; components register theirs here.
func (s *Server) Readiness() *ops.Readiness { return s.readiness }

// Registry is the Prometheus registry served at /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// ShuttingDown is closed when graceful shutdown begins, after the listener
// has stopped accepting connections. Long-lived responses
// (Server-Sent Events) must end when it closes, or they hold shutdown up
// until the timeout.
func (s *Server) ShuttingDown() <-chan struct{} { return s.shuttingDown }

// ServeHTTP makes the server usable with httptest.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish within
// Config.ShutdownTimeout, and closes whatever is left after that (returning
// an error saying so). It returns nil after a clean shutdown. Serve may be
// called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("api server: Serve called twice")
	}
	return s.serve(ctx, ln)
}

func (s *Server) serve(ctx context.Context, ln net.Listener) error {
	// Requests run under a context that outlives ctx, so that in-flight ones
	// can finish; it is cancelled only when the shutdown timeout runs out.
	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	// Shutdown runs this after closing the listeners, so once ShuttingDown
	// is closed no new connection is accepted.
	srv.RegisterOnShutdown(s.beginShutdown)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}

	s.log.Info("shutting down: no new connections; waiting for requests in flight",
		"timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		cancelBase()
		cerr := srv.Close()
		err = fmt.Errorf("api server: requests still running after %s were cut off: %w",
			s.cfg.ShutdownTimeout, errors.Join(err, cerr))
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

func (s *Server) beginShutdown() {
	s.shutdownOnce.Do(func() { close(s.shuttingDown) })
}
