package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// replayProjections are the read models an audit replay rebuilds: what the
// queue and the counters need.
var replayProjections = []string{projections.NameOrders, projections.NameQueue, projections.NameTeams,
	projections.NameSatisfaction}

// replayQueueRows caps the queue rows a replay returns.
const replayQueueRows = 1000

// errReplayTooLarge: the log up to as_of holds more events than one replay
// may fold.
var errReplayTooLarge = errors.New("replay too large")

type replayBody struct {
	AsOf time.Time `json:"as_of"`
	// Position is the last event folded; Events how many were.
	Position  uint64        `json:"position"`
	Events    uint64        `json:"events"`
	ElapsedMS int64         `json:"elapsed_ms"`
	Queue     replayQueue   `json:"queue"`
	Counters  replayCounter `json:"counters"`
}

type replayQueue struct {
	Rows []projections.QueueRow `json:"rows"`
	// Truncated: more than replayQueueRows orders were in the queue.
	Truncated bool `json:"truncated"`
}

type replayCounter struct {
	Orders         int64            `json:"orders"`
	ByStatus       map[string]int64 `json:"by_status"`
	Teams          int64            `json:"teams"`
	ActiveTeams    int64            `json:"active_teams"`
	Completed      int64            `json:"completed"`
	Ratings        int64            `json:"ratings"`
	GoodRatings    int64            `json:"good_ratings"`
	GoodRatingRate float64          `json:"good_rating_rate"`
	AverageStars   float64          `json:"average_stars"`
}

// auditReplay: GET /audit/replay?as_of=RFC3339 (auditor, admin) → the queue
// (waiting times at as_of) and the counters as they stood at as_of, rebuilt
// from the event log by the projections' own code into a temporary
// database. The log is folded up to the first event committed after as_of;
// at most MaxReplayEvents events, one replay at a time.
func (r *ReadRoutes) auditReplay(c echo.Context) error {
	v := c.QueryParam("as_of")
	if v == "" {
		return &domain.ValidationError{Field: "as_of", Reason: "expected a time such as 2026-03-05T09:00:00Z, found none"}
	}
	asOf, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("%w: as_of: expected an RFC 3339 time such as 2026-03-05T09:00:00Z, found %q", ErrMalformedRequest, v)
	}
	if r.deps.Store == nil {
		return errUnavailable("audit replay is not available on this server")
	}
	ctx := c.Request().Context()
	select {
	case r.replays <- struct{}{}:
		defer func() { <-r.replays }()
	case <-ctx.Done():
		return ctx.Err()
	}
	body, err := r.replay(ctx, asOf)
	if errors.Is(err, errReplayTooLarge) {
		return &domain.ValidationError{Field: "as_of", Reason: err.Error()}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, body)
}

func (r *ReadRoutes) replay(ctx context.Context, asOf time.Time) (replayBody, error) {
	start := time.Now()
	dir, err := os.MkdirTemp(r.cfg.ReplayDir, "paidan-replay-")
	if err != nil {
		return replayBody{}, fmt.Errorf("audit replay: %w", err)
	}
	defer os.RemoveAll(dir)
	views, err := projections.OpenViews(ctx, projections.ViewsConfig{DataDir: dir, ReadConns: 2})
	if err != nil {
		return replayBody{}, fmt.Errorf("audit replay: %w", err)
	}
	defer views.Close()
	src := &asOfStore{Store: r.deps.Store, asOf: asOf, max: r.cfg.MaxReplayEvents}
	res, err := projections.Rebuild(ctx, src, views, projections.RebuildConfig{
		Projections: projections.Definitions(), Decode: projections.DecodeDomainFast}, replayProjections...)
	if err != nil {
		return replayBody{}, fmt.Errorf("audit replay as of %s: %w", asOf.Format(time.RFC3339), err)
	}
	reader, err := projections.NewReader(views, projections.ReaderConfig{MaxPageSize: replayQueueRows})
	if err != nil {
		return replayBody{}, err
	}
	body := replayBody{AsOf: asOf.UTC(), Position: res.Position, Events: res.Events}
	page, err := reader.Queue(ctx, projections.QueueQuery{Now: asOf})
	if err != nil {
		return replayBody{}, fmt.Errorf("audit replay: %w", err)
	}
	body.Queue = replayQueue{Rows: page.Rows, Truncated: page.NextCursor != ""}
	if body.Counters, err = replayCounters(ctx, views, reader); err != nil {
		return replayBody{}, err
	}
	body.ElapsedMS = time.Since(start).Milliseconds()
	return body, nil
}

// replayCounters counts orders by status and teams from the replayed
// tables (their columns are documented in docs/analytics.md), and sums
// the satisfaction model over categories, where each order counts once.
func replayCounters(ctx context.Context, views *projections.Views, reader *projections.Reader) (replayCounter, error) {
	out := replayCounter{ByStatus: map[string]int64{}}
	rows, err := views.DB().QueryContext(ctx, `SELECT status, COUNT(*) FROM orders GROUP BY status`)
	if err != nil {
		return out, fmt.Errorf("audit replay: count orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return out, fmt.Errorf("audit replay: count orders: %w", err)
		}
		out.ByStatus[st] = n
		out.Orders += n
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("audit replay: count orders: %w", err)
	}
	if err := views.DB().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(active), 0) FROM teams`).
		Scan(&out.Teams, &out.ActiveTeams); err != nil {
		return out, fmt.Errorf("audit replay: count teams: %w", err)
	}
	sat, err := reader.Satisfaction(ctx, projections.ByCategory)
	if err != nil {
		return out, fmt.Errorf("audit replay: %w", err)
	}
	var stars float64
	for _, s := range sat.Rows {
		out.Completed += s.Completed
		out.Ratings += s.Ratings
		out.GoodRatings += s.GoodRatings
		stars += s.AverageStars * float64(s.Ratings)
	}
	if out.Ratings > 0 {
		out.GoodRatingRate = float64(out.GoodRatings) / float64(out.Ratings)
		out.AverageStars = stars / float64(out.Ratings)
	}
	return out, nil
}

// asOfStore is a read-only view of a store's log up to a moment: the prefix
// of $all before the first event committed after asOf. Serving a prefix,
// not a filter, keeps every replayed history one the projections really
// saw. It refuses to serve more than max events.
type asOfStore struct {
	eventstore.Store
	asOf  time.Time
	max   int
	seen  int
	ended bool
}

var _ eventstore.Store = (*asOfStore)(nil)

var errReadOnly = errors.New("audit replay: the log is read-only here")

func (s *asOfStore) Append(context.Context, string, eventstore.ExpectedRevision, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, errReadOnly
}

func (s *asOfStore) SubscribeAll(context.Context, eventstore.SubscribeOptions) (eventstore.Subscription, error) {
	return nil, errReadOnly
}

func (s *asOfStore) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	if opts.Direction == eventstore.Backwards {
		return s.readBackwards(ctx, opts)
	}
	if s.ended {
		return nil, nil
	}
	evs, err := s.Store.ReadAll(ctx, opts)
	if err != nil {
		return nil, err
	}
	// The first later event ends the prefix, even if an earlier time
	// follows it (clocks of several writers).
	for j, e := range evs {
		if e.Created.After(s.asOf) {
			evs, s.ended = evs[:j], true
			break
		}
	}
	s.seen += len(evs)
	if s.seen > s.max {
		return nil, fmt.Errorf("%w: the log up to as_of holds more than %d events; choose an earlier moment or replay offline with `paidan projections rebuild`",
			errReplayTooLarge, s.max)
	}
	return evs, nil
}

// readBackwards serves the newest events at or before asOf (the rebuild asks
// for the head to report progress).
func (s *asOfStore) readBackwards(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	from, skipped := opts.From, 0
	page := max(opts.Limit, 1024)
	for len(out) < opts.Limit {
		evs, err := s.Store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Direction: eventstore.Backwards, Limit: page})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e.Created.After(s.asOf) {
				skipped++
				continue
			}
			if out = append(out, e); len(out) == opts.Limit {
				break
			}
		}
		if len(evs) < page {
			break
		}
		if skipped > s.max {
			return nil, fmt.Errorf("%w: more than %d events were committed after as_of; replay offline with `paidan projections rebuild`",
				errReplayTooLarge, s.max)
		}
		from = evs[len(evs)-1].Position
	}
	return out, nil
}
