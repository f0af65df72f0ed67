package api

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

type satisfactionBody struct {
	By        string                        `json:"by"`
	Rows      []projections.SatisfactionRow `json:"rows"`
	Freshness freshnessBody                 `json:"freshness"`
}

type slaBody struct {
	projections.SLAReport
	Freshness freshnessBody `json:"freshness"`
}

// satisfaction: GET /stats/satisfaction?by=team|category|station|institute|day
// (analyst, coordinator, admin) → {by, rows: [{key, ratings, good_ratings,
// good_rating_rate, average_stars, completed, rating_coverage}]}.
func (r *ReadRoutes) satisfaction(c echo.Context) error {
	by := c.QueryParam("by")
	if !slices.Contains(projections.Dimensions(), by) {
		return &domain.ValidationError{Field: "by",
			Reason: fmt.Sprintf("expected one of %v, found %q", projections.Dimensions(), by)}
	}
	reached, err := r.awaitPosition(c, projections.NameSatisfaction)
	if err != nil {
		return err
	}
	rep, err := r.deps.Reader.Satisfaction(c.Request().Context(), by)
	if err != nil {
		return readError(err)
	}
	return c.JSON(http.StatusOK, satisfactionBody{By: rep.By, Rows: rep.Rows, Freshness: setFreshness(c, rep.Freshness, reached)})
}

// sla: GET /stats/sla?category= (analyst, coordinator, admin) → count, mean,
// p50 and p90 of each stage, and redispatches.
func (r *ReadRoutes) sla(c echo.Context) error {
	cat := c.QueryParam("category")
	if cat != "" {
		if _, err := domain.ParseCategory(cat); err != nil {
			return &domain.ValidationError{Field: "category", Reason: err.Error()}
		}
	}
	reached, err := r.awaitPosition(c, projections.NameSLA)
	if err != nil {
		return err
	}
	rep, err := r.deps.Reader.SLA(c.Request().Context(), cat)
	if err != nil {
		return readError(err)
	}
	return c.JSON(http.StatusOK, slaBody{SLAReport: rep, Freshness: setFreshness(c, rep.Freshness, reached)})
}
