package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// Status is one projection's progress.
type Status struct {
	Projection string `json:"projection"`
	// Position is the committed checkpoint; Head the log's last position.
	Position uint64 `json:"position"`
	Head     uint64 `json:"head"`
	// Lag is Head − Position: events on the embedded store, where positions
	// have no gaps; position units (bytes) on EventStoreDB.
	Lag uint64 `json:"lag"`
	// LagSeconds is how long ago the oldest event not yet applied was
	// committed to the store; 0 when caught up.
	LagSeconds float64   `json:"lag_seconds"`
	Parked     int       `json:"parked"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ReadStatus reports the named projections' progress (all with a checkpoint
// when none is named) from the read-model database and the store; it needs
// no running pipeline.
func ReadStatus(ctx context.Context, store eventstore.Store, v *Views, only ...string) ([]Status, error) {
	head, err := headOf(ctx, store)
	if err != nil {
		return nil, err
	}
	q := `SELECT c.name, c.position, c.updated_at,
		(SELECT COUNT(*) FROM parked_events p WHERE p.projection = c.name)
		FROM projection_checkpoints c ORDER BY c.name`
	rows, err := v.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	defer rows.Close()
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []Status
	for rows.Next() {
		var s Status
		var pos, upd int64
		if err := rows.Scan(&s.Projection, &pos, &upd, &s.Parked); err != nil {
			return nil, fmt.Errorf("status: %w", err)
		}
		if len(want) > 0 && !want[s.Projection] {
			continue
		}
		delete(want, s.Projection)
		s.Position, s.Head, s.UpdatedAt = uint64(pos), uint64(head.Position), time.UnixMilli(upd).UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	for n := range want {
		return nil, fmt.Errorf("%w: %q has no checkpoint", ErrUnknownProjection, n)
	}
	for i := range out {
		s := &out[i]
		if s.Head <= s.Position {
			continue
		}
		s.Lag = s.Head - s.Position
		next, err := store.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.Position(s.Position + 1), Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("status: read the first event after %d: %w", s.Position, err)
		}
		if len(next) == 1 {
			s.LagSeconds = max(0, time.Since(next[0].Created).Seconds())
		}
	}
	return out, nil
}

// headOf returns the log's last event, or the zero event for an empty log.
func headOf(ctx context.Context, store eventstore.Store) (eventstore.RecordedEvent, error) {
	evs, err := store.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
	if err != nil {
		return eventstore.RecordedEvent{}, fmt.Errorf("read the head of the log: %w", err)
	}
	if len(evs) == 0 {
		return eventstore.RecordedEvent{}, nil
	}
	return evs[0], nil
}

// Status reports every projection of the pipeline.
func (p *Pipeline) Status(ctx context.Context) ([]Status, error) {
	return ReadStatus(ctx, p.store, p.views, p.order...)
}

// ParkedEvent is an event a projection could not apply and skipped.
type ParkedEvent struct {
	Projection string    `json:"projection"`
	Position   uint64    `json:"position"`
	EventID    string    `json:"event_id"`
	Stream     string    `json:"stream"`
	Type       string    `json:"type"`
	Error      string    `json:"error"`
	ParkedAt   time.Time `json:"parked_at"`
}

// Parked lists parked events, newest first: those of one projection, or of
// all when projection is empty. limit is capped at 1000.
func (v *Views) Parked(ctx context.Context, projection string, limit int) ([]ParkedEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := v.read.QueryContext(ctx, `SELECT projection, position, event_id, stream, type, error, parked_at
		FROM parked_events WHERE ($1 = '' OR projection = $1) ORDER BY parked_at DESC, position DESC LIMIT $2`,
		projection, limit)
	if err != nil {
		return nil, fmt.Errorf("parked events: %w", err)
	}
	defer rows.Close()
	var out []ParkedEvent
	for rows.Next() {
		var e ParkedEvent
		var pos, at int64
		if err := rows.Scan(&e.Projection, &pos, &e.EventID, &e.Stream, &e.Type, &e.Error, &at); err != nil {
			return nil, fmt.Errorf("parked events: %w", err)
		}
		e.Position, e.ParkedAt = uint64(pos), time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Freshness says what a query result reflects.
type Freshness struct {
	// Position is the projection's committed checkpoint the rows were read at.
	Position uint64 `json:"position"`
	// Lag and LagSeconds are the projection's distance from the log's head as
	// this process last saw it (zero without a running pipeline).
	Lag        uint64  `json:"lag"`
	LagSeconds float64 `json:"lag_seconds"`
}

// Lag returns how far a projection is behind the head this pipeline has
// seen, in positions and in seconds, for a reader at position pos.
func (p *Pipeline) Lag(name string, pos uint64) (uint64, float64) {
	r, ok := p.runners[projectionOf(name)]
	if !ok {
		return 0, 0
	}
	return r.lag(eventstore.Position(pos))
}
