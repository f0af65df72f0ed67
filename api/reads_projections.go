package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

type projectionsBody struct {
	Projections []projections.Status      `json:"projections"`
	Parked      []projections.ParkedEvent `json:"parked"`
}

// projectionStatus: GET /projections?parked_limit= (coordinator, admin) →
// each projection's position, lag and parked count, and the parked events,
// newest first (100 unless parked_limit says otherwise, at most 1000).
func (r *ReadRoutes) projectionStatus(c echo.Context) error {
	if r.deps.Status == nil || r.deps.Parked == nil {
		return errUnavailable("projection status is not available on this server")
	}
	limit := 100
	if v := c.QueryParam("parked_limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%w: parked_limit: expected a whole number, found %q", ErrMalformedRequest, v)
		}
		if n < 1 || n > 1000 {
			return &domain.ValidationError{Field: "parked_limit", Reason: fmt.Sprintf("expected 1 to 1000, found %d", n)}
		}
		limit = n
	}
	ctx := c.Request().Context()
	st, err := r.deps.Status.Status(ctx)
	if err != nil {
		return readError(err)
	}
	parked, err := r.deps.Parked.Parked(ctx, "", limit)
	if err != nil {
		return readError(err)
	}
	if st == nil {
		st = []projections.Status{}
	}
	if parked == nil {
		parked = []projections.ParkedEvent{}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, projectionsBody{Projections: st, Parked: parked})
}
