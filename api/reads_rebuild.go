package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

// Rebuilder rebuilds read models while the server runs; *projections.Pipeline
// satisfies it. The embedded store admits one process, so on the default
// deployment a rebuild without downtime can only run inside the server.
type Rebuilder interface {
	Rebuild(ctx context.Context, progress func(projections.Progress), only ...string) (projections.RebuildResult, error)
	Names() []string
}

// RebuildStatus is what GET /projections/rebuild says about the server's
// current or last rebuild.
type RebuildStatus struct {
	// State is running, done or failed.
	State       string   `json:"state"`
	Projections []string `json:"projections"`
	// By is the admin who started it.
	By         string     `json:"by"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Events applied so far; Position of the last, Head the log's end the
	// rebuild aims for.
	Events       uint64  `json:"events"`
	Position     uint64  `json:"position"`
	Head         uint64  `json:"head"`
	EventsPerSec float64 `json:"events_per_sec"`
	ETASeconds   float64 `json:"eta_seconds"`
	Parked       int     `json:"parked"`
	Error        string  `json:"error,omitempty"`
}

// Rebuild states.
const (
	RebuildRunning = "running"
	RebuildDone    = "done"
	RebuildFailed  = "failed"
)

// rebuildJobs runs at most one rebuild at a time and remembers the last.
type rebuildJobs struct {
	mu     sync.Mutex
	last   *RebuildStatus // nil before the first
	cancel context.CancelFunc
	done   chan struct{} // closed when the running rebuild ended
}

type rebuildRequest struct {
	Only []string `json:"only"`
}

// startRebuild: POST /projections/rebuild (admin) {only?} → 202 with the
// rebuild's status; 409 while one runs. The rebuild fills fresh tables from
// the log and swaps them in when complete (readers see the old model until
// then); the live projections resume from the rebuilt checkpoint.
func (r *ReadRoutes) startRebuild(c echo.Context) error {
	if r.deps.Rebuilder == nil {
		return errUnavailable("rebuilding read models is not available on this server")
	}
	var body rebuildRequest
	if err := BindOptional(c, &body); err != nil {
		return err
	}
	names := r.deps.Rebuilder.Names()
	only := slices.Compact(slices.Sorted(slices.Values(body.Only)))
	for _, n := range only {
		if !slices.Contains(names, n) {
			return &domain.ValidationError{Field: "only", Reason: fmt.Sprintf("unknown projection %q; expected some of %v", n, names)}
		}
	}
	actor, err := Actor(c)
	if err != nil {
		return err
	}
	j := &r.rebuilds
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.last != nil && j.last.State == RebuildRunning {
		return fmt.Errorf("%w: a rebuild of %v started at %s is running; follow it at GET %s/projections/rebuild",
			domain.ErrConflict, j.last.Projections, j.last.StartedAt.Format(time.RFC3339), APIPrefix)
	}
	shown := only
	if len(shown) == 0 {
		shown = names
	}
	st := &RebuildStatus{State: RebuildRunning, Projections: shown, By: actor.Subject, StartedAt: time.Now().UTC()}
	// The rebuild outlives the request; it ends with the server (StopRebuild).
	ctx, cancel := context.WithCancel(context.Background())
	j.last, j.cancel, j.done = st, cancel, make(chan struct{})
	go r.runRebuild(ctx, st, j.done, only)
	c.Response().Header().Set(echo.HeaderLocation, APIPrefix+"/projections/rebuild")
	return c.JSON(http.StatusAccepted, *st)
}

func (r *ReadRoutes) runRebuild(ctx context.Context, st *RebuildStatus, done chan struct{}, only []string) {
	defer close(done)
	j := &r.rebuilds
	res, err := r.deps.Rebuilder.Rebuild(ctx, func(p projections.Progress) {
		j.mu.Lock()
		defer j.mu.Unlock()
		st.Events, st.Position, st.Head = p.Events, p.Position, p.Head
		st.EventsPerSec, st.ETASeconds = p.Rate, p.ETA.Seconds()
	}, only...)
	j.mu.Lock()
	defer j.mu.Unlock()
	now := time.Now().UTC()
	st.FinishedAt, st.ETASeconds = &now, 0
	if err != nil {
		st.State, st.Error = RebuildFailed, err.Error()
		if errors.Is(err, context.Canceled) {
			st.Error = "the server stopped before the rebuild ended; the read models are as they were"
		}
		return
	}
	st.State, st.Parked = RebuildDone, res.Parked
	st.Events, st.Position = res.Events, res.Position
	if s := res.Elapsed.Seconds(); s > 0 {
		st.EventsPerSec = float64(res.Events) / s
	}
}

// rebuildStatus: GET /projections/rebuild (coordinator, admin) → the current
// or last rebuild; 404 before the first.
func (r *ReadRoutes) rebuildStatus(c echo.Context) error {
	if r.deps.Rebuilder == nil {
		return errUnavailable("rebuilding read models is not available on this server")
	}
	j := &r.rebuilds
	j.mu.Lock()
	var st *RebuildStatus
	if j.last != nil {
		cp := *j.last
		st = &cp
	}
	j.mu.Unlock()
	if st == nil {
		return fmt.Errorf("%w: no rebuild has run since the server started", domain.ErrNotFound)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, st)
}

// StopRebuild cancels a running rebuild and waits for it to end; serve calls
// it once HTTP has stopped, before the read models close. The tables being
// built are dropped; the live ones are untouched.
func (r *ReadRoutes) StopRebuild() {
	j := &r.rebuilds
	j.mu.Lock()
	cancel, done := j.cancel, j.done
	j.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}
