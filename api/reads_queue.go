package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

// queueStatuses are the statuses an order has while it is in the queue.
var queueStatuses = []string{string(domain.StatusPlaced), string(domain.StatusOffered), string(domain.StatusAccepted),
	string(domain.StatusInService), string(domain.StatusEscalated)}

// queueBody is GET /queue's answer.
type queueBody struct {
	Rows       []projections.QueueRow `json:"rows"`
	NextCursor string                 `json:"next_cursor"`
	Freshness  freshnessBody          `json:"freshness"`
}

// queueQuery reads the queue's filters and paging from the query string.
func queueQuery(c echo.Context) (projections.QueueQuery, error) {
	q := projections.QueueQuery{Status: c.QueryParam("status"), Station: c.QueryParam("station"),
		Institute: c.QueryParam("institute"), Category: c.QueryParam("category"), Cursor: c.QueryParam("cursor")}
	if q.Status != "" && !slices.Contains(queueStatuses, q.Status) {
		return q, &domain.ValidationError{Field: "status",
			Reason: fmt.Sprintf("expected one of %v, found %q", queueStatuses, q.Status)}
	}
	if q.Category != "" {
		if _, err := domain.ParseCategory(q.Category); err != nil {
			return q, &domain.ValidationError{Field: "category", Reason: err.Error()}
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, fmt.Errorf("%w: limit: expected a whole number, found %q", ErrMalformedRequest, v)
		}
		if n < 1 {
			return q, &domain.ValidationError{Field: "limit", Reason: fmt.Sprintf("expected 1 or more, found %d", n)}
		}
		q.Limit = n
	}
	return q, nil
}

// queue: GET /queue?status=&station=&institute=&category=&limit=&cursor=
// (coordinator, admin) → escalated orders first, then the longest waiting.
func (r *ReadRoutes) queue(c echo.Context) error {
	q, err := queueQuery(c)
	if err != nil {
		return err
	}
	reached, err := r.awaitPosition(c, projections.NameQueue)
	if err != nil {
		return err
	}
	q.Now = r.cfg.Now()
	page, err := r.deps.Reader.Queue(c.Request().Context(), q)
	if err != nil {
		if q.Cursor != "" && errors.Is(err, projections.ErrInvalidQuery) {
			return fmt.Errorf("%w: cursor: %w", ErrMalformedRequest, err)
		}
		return readError(err)
	}
	return c.JSON(http.StatusOK, queueBody{Rows: page.Rows, NextCursor: page.NextCursor,
		Freshness: setFreshness(c, page.Freshness, reached)})
}
