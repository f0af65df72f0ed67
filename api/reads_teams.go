package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

type teamsBody struct {
	Teams     []projections.TeamView `json:"teams"`
	Freshness freshnessBody          `json:"freshness"`
}

type teamBody struct {
	projections.TeamView
	Freshness freshnessBody `json:"freshness"`
}

type offersBody struct {
	TeamID    string                  `json:"team_id"`
	Offers    []projections.OfferView `json:"offers"`
	Freshness freshnessBody           `json:"freshness"`
}

// teams: GET /teams?category=&station=&institute=&available=true (staff) →
// the team board: load, capacity, counts, good-rating rate.
func (r *ReadRoutes) teams(c echo.Context) error {
	q := projections.TeamQuery{Category: c.QueryParam("category"), Station: c.QueryParam("station"),
		Institute: c.QueryParam("institute")}
	switch v := c.QueryParam("available"); v {
	case "", "false":
	case "true":
		q.Available = true
	default:
		return &domain.ValidationError{Field: "available", Reason: fmt.Sprintf("expected true or false, found %q", v)}
	}
	reached, err := r.awaitPosition(c, projections.NameTeams)
	if err != nil {
		return err
	}
	ts, fr, err := r.deps.Reader.Teams(c.Request().Context(), q)
	if err != nil {
		return readError(err)
	}
	return c.JSON(http.StatusOK, teamsBody{Teams: ts, Freshness: setFreshness(c, fr, reached)})
}

// team: GET /teams/{id} (staff, or a member of that team) → its board entry.
func (r *ReadRoutes) team(c echo.Context) error {
	actor, err := Actor(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	if actor.Role == domain.RoleTeam && actor.TeamID != id {
		return fmt.Errorf("%w: a team member may read only its own team %s, not %s", domain.ErrForbidden, actor.TeamID, id)
	}
	reached, err := r.awaitPosition(c, projections.NameTeams)
	if err != nil {
		return err
	}
	t, fr, err := r.deps.Reader.Team(c.Request().Context(), id)
	if err != nil {
		return readError(err)
	}
	return c.JSON(http.StatusOK, teamBody{TeamView: t, Freshness: setFreshness(c, fr, reached)})
}

// offers: GET /offers (team) → the caller's team's pending offers, soonest
// expiry first.
func (r *ReadRoutes) offers(c echo.Context) error {
	actor, err := Actor(c)
	if err != nil {
		return err
	}
	reached, err := r.awaitPosition(c, projections.NameOffers)
	if err != nil {
		return err
	}
	os, fr, err := r.deps.Reader.PendingOffers(c.Request().Context(), actor.TeamID)
	if err != nil {
		return readError(err)
	}
	return c.JSON(http.StatusOK, offersBody{TeamID: actor.TeamID, Offers: os, Freshness: setFreshness(c, fr, reached)})
}
