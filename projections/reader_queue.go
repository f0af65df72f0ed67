package projections

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// SLA flags of queue rows.
const (
	// FlagWaiting: placed or escalated, waiting for an offer longer than WaitBound.
	FlagWaiting = "waiting_too_long"
	// FlagOfferExpiring: the pending offer expires within ExpiringWithin.
	FlagOfferExpiring = "offer_expiring"
	// FlagServiceOverdue: accepted longer than ServiceBound ago, not completed.
	FlagServiceOverdue = "service_overdue"
	// FlagEscalated: the dispatcher gave up; a coordinator must act.
	FlagEscalated = "escalated"
)

// QueueRow is an order being worked on, with its waiting times at the
// query's Now and its SLA flags.
type QueueRow struct {
	OrderID          string     `json:"order_id"`
	Status           string     `json:"status"`
	Category         string     `json:"category"`
	StationID        string     `json:"station_id"`
	InstituteID      string     `json:"institute_id"`
	TeamID           string     `json:"team_id,omitempty"`
	PlacedAt         time.Time  `json:"placed_at"`
	SinceAt          time.Time  `json:"since_at"`
	OfferExpiresAt   *time.Time `json:"offer_expires_at,omitempty"`
	AcceptedAt       *time.Time `json:"accepted_at,omitempty"`
	EscalationReason string     `json:"escalation_reason,omitempty"`
	// WaitingSeconds is Now − PlacedAt; StatusSeconds is Now − SinceAt, the
	// time in the current status.
	WaitingSeconds float64  `json:"waiting_seconds"`
	StatusSeconds  float64  `json:"status_seconds"`
	SLAFlags       []string `json:"sla_flags"`
}

// QueueQuery filters and pages the queue. Empty filters match everything.
type QueueQuery struct {
	Status, Station, Institute, Category string
	// Limit is the page size, capped at MaxPageSize; 0 means the cap.
	Limit int
	// Cursor is a previous page's NextCursor.
	Cursor string
	// Now is the time waiting times and flags are computed at; zero means
	// time.Now().
	Now time.Time
}

// QueuePage is one page of the queue: escalated orders first, then the
// longest waiting.
type QueuePage struct {
	Rows       []QueueRow `json:"rows"`
	NextCursor string     `json:"next_cursor,omitempty"`
	Freshness  Freshness  `json:"freshness"`
}

func (r *Reader) queueRow(id string, q queueRow, now time.Time) QueueRow {
	row := QueueRow{OrderID: id, Status: q.Status, Category: q.Category, StationID: q.Station,
		InstituteID: q.Institute, TeamID: q.Team, PlacedAt: time.UnixMilli(q.PlacedAt).UTC(),
		SinceAt: time.UnixMilli(q.SinceAt).UTC(), OfferExpiresAt: timePtr(q.OfferExpiresAt),
		AcceptedAt: timePtr(q.AcceptedAt), EscalationReason: q.EscalationReason, SLAFlags: []string{}}
	row.WaitingSeconds = max(0, now.Sub(row.PlacedAt).Seconds())
	row.StatusSeconds = max(0, now.Sub(row.SinceAt).Seconds())
	switch q.Status {
	case "placed", "escalated":
		if now.Sub(row.SinceAt) > r.cfg.WaitBound {
			row.SLAFlags = append(row.SLAFlags, FlagWaiting)
		}
	case "offered":
		if row.OfferExpiresAt != nil && row.OfferExpiresAt.Sub(now) < r.cfg.ExpiringWithin {
			row.SLAFlags = append(row.SLAFlags, FlagOfferExpiring)
		}
	case "accepted", "in_service":
		if row.AcceptedAt != nil && now.Sub(*row.AcceptedAt) > r.cfg.ServiceBound {
			row.SLAFlags = append(row.SLAFlags, FlagServiceOverdue)
		}
	}
	if q.Rank == 0 {
		row.SLAFlags = append(row.SLAFlags, FlagEscalated)
	}
	return row
}

// Queue returns one page of the queue.
func (r *Reader) Queue(ctx context.Context, q QueueQuery) (QueuePage, error) {
	limit := q.Limit
	if limit <= 0 || limit > r.cfg.MaxPageSize {
		limit = r.cfg.MaxPageSize
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	rank, placed, after := int64(-1), int64(0), ""
	if q.Cursor != "" {
		var err error
		if rank, placed, after, err = parseCursor(q.Cursor); err != nil {
			return QueuePage{}, err
		}
	}
	var page QueuePage
	fr, err := r.read(ctx, NameQueue, func(tx snapshot) error {
		rows, err := tx.QueryContext(ctx, `SELECT order_id, `+queueColumns+` FROM queue
			WHERE ($1 = '' OR status = $1) AND ($2 = '' OR station_id = $2) AND ($3 = '' OR institute_id = $3)
			AND ($4 = '' OR category = $4)
			AND (rank > $5 OR (rank = $5 AND (placed_at > $6 OR (placed_at = $6 AND order_id > $7))))
			ORDER BY rank, placed_at, order_id LIMIT $8`,
			q.Status, q.Station, q.Institute, q.Category, rank, placed, after, limit+1)
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		defer rows.Close()
		var last queueRow
		var lastID string
		for rows.Next() {
			var id string
			var row queueRow
			if err := rows.Scan(append([]any{&id}, row.dest()...)...); err != nil {
				return fmt.Errorf("queue: %w", err)
			}
			if len(page.Rows) == limit {
				page.NextCursor = makeCursor(last.Rank, last.PlacedAt, lastID)
				break
			}
			page.Rows = append(page.Rows, r.queueRow(id, row, now))
			last, lastID = row, id
		}
		return rows.Err()
	})
	if page.Rows == nil {
		page.Rows = []QueueRow{}
	}
	page.Freshness = fr
	return page, err
}

func makeCursor(rank, placed int64, id string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d|%d|%s", rank, placed, id))
}

func parseCursor(c string) (int64, int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		parts := strings.SplitN(string(b), "|", 3)
		if len(parts) == 3 {
			rank, err1 := strconv.ParseInt(parts[0], 10, 64)
			placed, err2 := strconv.ParseInt(parts[1], 10, 64)
			if err1 == nil && err2 == nil {
				return rank, placed, parts[2], nil
			}
		}
	}
	return 0, 0, "", fmt.Errorf("%w: cursor %q is not one this server issued", ErrInvalidQuery, c)
}

// QueueChange is one change of the queue: ID increases with the log (use it
// as the SSE event id); Op is "upsert" with Row, or "delete".
type QueueChange struct {
	ID      uint64    `json:"id"`
	OrderID string    `json:"order_id"`
	Op      string    `json:"op"`
	Row     *QueueRow `json:"row,omitempty"`
	At      time.Time `json:"at"`
}

// QueueChanges is a page of the change feed.
type QueueChanges struct {
	Changes []QueueChange `json:"changes"`
	// Reset: changes after the client's last id are no longer in the feed
	// (trimmed, or the queue was rebuilt); it must reload the queue and
	// continue from Freshness.Position.
	Reset     bool      `json:"reset"`
	Freshness Freshness `json:"freshness"`
}

// QueueChangesAfter returns up to limit changes with ids above after,
// computing rows' waiting times at now. after is the last change id the
// client has, or any position it read the queue at (a Freshness.Position;
// 0 for the empty log): it need not be a change. Reset is set, with no
// changes, only when changes after it are no longer kept.
func (r *Reader) QueueChangesAfter(ctx context.Context, after uint64, limit int, now time.Time) (QueueChanges, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if now.IsZero() {
		now = time.Now()
	}
	var out QueueChanges
	fr, err := r.read(ctx, NameQueue, func(tx snapshot) error {
		// The feed holds every change above its floor (see feedFloorID).
		var floor int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(changed_at), 0) FROM queue_changes WHERE id = $1 AND op = $2`,
			feedFloorID, opFloor).Scan(&floor); err != nil {
			return fmt.Errorf("queue changes: %w", err)
		}
		if after < uint64(floor) {
			out.Reset = true
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, order_id, op, COALESCE(status, ''), COALESCE(category, ''),
			COALESCE(station_id, ''), COALESCE(institute_id, ''), team_id, COALESCE(rank, 1), COALESCE(placed_at, 0),
			COALESCE(since_at, 0), offer_expires_at, accepted_at, escalation_reason, changed_at
			FROM queue_changes WHERE id > $1 ORDER BY id LIMIT $2`, int64(min(after, math.MaxInt64)), limit)
		if err != nil {
			return fmt.Errorf("queue changes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var c QueueChange
			var id, at int64
			var q queueRow
			if err := rows.Scan(&id, &c.OrderID, &c.Op, &q.Status, &q.Category, &q.Station, &q.Institute, nstr{&q.Team},
				&q.Rank, &q.PlacedAt, &q.SinceAt, nint{&q.OfferExpiresAt}, nint{&q.AcceptedAt}, nstr{&q.EscalationReason}, &at); err != nil {
				return fmt.Errorf("queue changes: %w", err)
			}
			c.ID, c.At = uint64(id), time.UnixMilli(at).UTC()
			if c.Op != "delete" {
				row := r.queueRow(c.OrderID, q, now)
				c.Row = &row
			}
			out.Changes = append(out.Changes, c)
		}
		return rows.Err()
	})
	if out.Changes == nil {
		out.Changes = []QueueChange{}
	}
	out.Freshness = fr
	return out, err
}
