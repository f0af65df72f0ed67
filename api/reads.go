package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// Headers of the read endpoints. Every read says how fresh it is in these
// headers and in the body's "freshness" object.
const (
	// HeaderPosition is the global position of a command's last event; a
	// client passes it as HeaderMinPosition (or ?min_position=) to read its
	// own write.
	HeaderPosition = "X-Paidan-Position"
	// HeaderMinPosition asks a read to wait until its projection reached
	// the position (bounded by ReadConfig.MaxWait).
	HeaderMinPosition = "X-Paidan-Min-Position"
	// HeaderReadPosition is the position the read model answered at.
	HeaderReadPosition = "X-Paidan-Read-Position"
	// HeaderLag is the projection's distance from the log's head, in
	// positions, and HeaderLagSeconds in seconds.
	HeaderLag        = "X-Paidan-Lag"
	HeaderLagSeconds = "X-Paidan-Lag-Seconds"
	// HeaderStale is "true" when a read waited for HeaderMinPosition but
	// the projection had not reached it within the bound.
	HeaderStale = "X-Paidan-Stale"
)

// Waiter blocks until named projections have committed a position;
// *projections.Pipeline satisfies it.
type Waiter interface {
	WaitFor(ctx context.Context, pos eventstore.Position, only ...string) error
}

// StatusReporter reports the projections' progress; *projections.Pipeline
// satisfies it.
type StatusReporter interface {
	Status(ctx context.Context) ([]projections.Status, error)
}

// ParkedLister lists parked events; *projections.Views satisfies it.
type ParkedLister interface {
	Parked(ctx context.Context, projection string, limit int) ([]projections.ParkedEvent, error)
}

// ReadDeps are what the read endpoints need. serve passes the running
// pipeline as Waiter and Status and the views as Parked.
type ReadDeps struct {
	// Reader answers queries from the read models; required.
	Reader *projections.Reader
	// Waiter lets reads wait for a command's position and wakes the queue
	// stream; optional: without it min_position is refused as unavailable
	// and the stream polls every ReadConfig.PollInterval.
	Waiter Waiter
	// Status and Parked serve GET /projections; optional (503 without).
	Status StatusReporter
	Parked ParkedLister
	// Store is the event log audit replays read; optional (503 without).
	Store eventstore.Store
	// Rebuilder serves POST and GET /projections/rebuild; optional (503
	// without). serve passes the running pipeline.
	Rebuilder Rebuilder
}

// Validate checks that every required dependency is there.
func (d ReadDeps) Validate() error {
	if d.Reader == nil {
		return errors.New("reader: required")
	}
	return nil
}

// ReadConfig tunes the read endpoints. The zero ReadConfig is valid.
type ReadConfig struct {
	// MaxWait bounds how long a read waits for min_position; optional,
	// default 2s.
	MaxWait time.Duration
	// Heartbeat is how often an idle queue stream sends a comment; optional,
	// default 15s.
	Heartbeat time.Duration
	// PollInterval is how often the queue stream looks for changes without
	// a Waiter; optional, default 500ms.
	PollInterval time.Duration
	// TicketTTL is how long a stream ticket may be used; optional, default 60s.
	TicketTTL time.Duration
	// MaxReplayEvents bounds the events one audit replay folds; optional,
	// default 2,000,000.
	MaxReplayEvents int
	// ReplayDir holds audit replays' temporary read models; optional,
	// default os.TempDir().
	ReplayDir string
	// Now is the clock of tickets and queue waiting times; optional,
	// default time.Now.
	Now func() time.Time
}

// Validate reports every problem of the configuration.
func (c ReadConfig) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"max wait", c.MaxWait}, {"heartbeat", c.Heartbeat}, {"poll interval", c.PollInterval}, {"ticket ttl", c.TicketTTL}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s: expected zero (default) or more, found %s", d.name, d.v))
		}
	}
	if c.MaxReplayEvents < 0 {
		errs = append(errs, fmt.Errorf("max replay events: expected zero (default) or more, found %d", c.MaxReplayEvents))
	}
	return errors.Join(errs...)
}

func (c *ReadConfig) setDefaults() {
	if c.MaxWait == 0 {
		c.MaxWait = 2 * time.Second
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.TicketTTL == 0 {
		c.TicketTTL = 60 * time.Second
	}
	if c.MaxReplayEvents == 0 {
		c.MaxReplayEvents = 2_000_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// ReadRoutes are the read side's endpoints: orders, the queue and its live
// stream, teams and offers, statistics, projection status, audit replay and
// the coordinator dashboard. Add them with Mount.
type ReadRoutes struct {
	deps     ReadDeps
	cfg      ReadConfig
	tickets  *ticketBook
	replays  chan struct{} // one audit replay at a time
	rebuilds rebuildJobs
}

// NewReadRoutes builds the read side's endpoints.
func NewReadRoutes(deps ReadDeps, cfg ReadConfig) (*ReadRoutes, error) {
	if err := deps.Validate(); err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("read routes: %w", err)
	}
	cfg.setDefaults()
	return &ReadRoutes{deps: deps, cfg: cfg, tickets: newTicketBook(cfg.TicketTTL, cfg.Now),
		replays: make(chan struct{}, 1)}, nil
}

// Mount adds the routes to s: the JSON endpoints to /api/v1 (signed in and
// rate limited like every other), the queue stream beside them (signed in by
// bearer token or ticket, not rate limited, ended when s shuts down) and the
// dashboard at / and /dashboard. Call it before Serve.
func (r *ReadRoutes) Mount(s *Server) {
	s.Register(r.register)
	s.Echo().GET(APIPrefix+"/queue/stream", r.queueStream(s), r.streamSignIn(s),
		RequireRole(domain.RoleCoordinator, domain.RoleAdmin))
	r.mountDashboard(s.Echo())
}

func (r *ReadRoutes) register(g *echo.Group) {
	var (
		coordinators = RequireRole(domain.RoleCoordinator, domain.RoleAdmin)
		staff        = RequireRole(domain.RoleCoordinator, domain.RoleAdmin, domain.RoleAuditor, domain.RoleAnalyst)
		staffOrTeam  = RequireRole(domain.RoleCoordinator, domain.RoleAdmin, domain.RoleAuditor, domain.RoleAnalyst, domain.RoleTeam)
		team         = RequireRole(domain.RoleTeam)
		analysts     = RequireRole(domain.RoleAnalyst, domain.RoleCoordinator, domain.RoleAdmin)
		auditors     = RequireRole(domain.RoleAuditor, domain.RoleAdmin)
	)
	g.GET("/orders/:id", r.order)
	g.GET("/queue", r.queue, coordinators)
	g.POST("/queue/stream/ticket", r.issueTicket, coordinators)
	g.GET("/teams", r.teams, staff)
	g.GET("/teams/:id", r.team, staffOrTeam)
	g.GET("/offers", r.offers, team)
	g.GET("/stats/satisfaction", r.satisfaction, analysts)
	g.GET("/stats/sla", r.sla, analysts)
	g.GET("/projections", r.projectionStatus, coordinators)
	g.POST("/projections/rebuild", r.startRebuild, RequireRole(domain.RoleAdmin))
	g.GET("/projections/rebuild", r.rebuildStatus, coordinators)
	g.GET("/audit/replay", r.auditReplay, auditors)
	g.GET("/audit/verify", r.auditVerify, auditors)
}

// errUnavailable is a 503 with a message of its own.
func errUnavailable(msg string) error {
	return echo.NewHTTPError(http.StatusServiceUnavailable, msg)
}

// readError translates the read models' errors into the classes Classify
// maps, keeping their messages.
func readError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, projections.ErrNotFound):
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	case errors.Is(err, projections.ErrInvalidQuery):
		return fmt.Errorf("%w: %w", domain.ErrInvalid, err)
	case errors.Is(err, projections.ErrUnknownProjection):
		return errUnavailable("the read models are still being built; retry in a few seconds")
	}
	return err
}

// minPosition reads ?min_position= or the X-Paidan-Min-Position header; 0
// when neither is given.
func minPosition(c echo.Context) (eventstore.Position, error) {
	v := c.QueryParam("min_position")
	if v == "" {
		v = c.Request().Header.Get(HeaderMinPosition)
	}
	if v == "" {
		return 0, nil
	}
	p, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: min_position: expected a position as %s gives it, such as 42, found %q",
			ErrMalformedRequest, HeaderPosition, v)
	}
	return eventstore.Position(p), nil
}

// awaitPosition waits, at most MaxWait, until projection has committed the
// request's min_position. It reports whether the position was reached (true
// when none was asked for); running out of time is not an error: the read
// answers with what it has and says so.
func (r *ReadRoutes) awaitPosition(c echo.Context, projection string) (bool, error) {
	pos, err := minPosition(c)
	if err != nil || pos == 0 {
		return true, err
	}
	if r.deps.Waiter == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), r.cfg.MaxWait)
	defer cancel()
	if err := r.deps.Waiter.WaitFor(ctx, pos, projection); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && c.Request().Context().Err() == nil {
			return false, nil
		}
		return false, readError(err)
	}
	return true, nil
}

// freshnessBody is the "freshness" object of read responses.
type freshnessBody struct {
	projections.Freshness
	// Reached is false when min_position was asked for and not reached in
	// time: the answer may predate the client's own write.
	Reached bool `json:"reached"`
}

// setFreshness writes the freshness headers and returns the body's object.
func setFreshness(c echo.Context, fr projections.Freshness, reached bool) freshnessBody {
	h := c.Response().Header()
	h.Set(HeaderReadPosition, strconv.FormatUint(fr.Position, 10))
	h.Set(HeaderLag, strconv.FormatUint(fr.Lag, 10))
	h.Set(HeaderLagSeconds, strconv.FormatFloat(fr.LagSeconds, 'f', 3, 64))
	if !reached {
		h.Set(HeaderStale, "true")
	}
	h.Set("Cache-Control", "no-store")
	return freshnessBody{Freshness: fr, Reached: reached}
}
