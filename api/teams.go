package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

type registerTeamRequest struct {
	Name      string   `json:"name"`
	StationID string   `json:"station_id"`
	Skills    []string `json:"skills"`
	Capacity  int      `json:"capacity"`
}

type teamResponse struct {
	TeamID   string `json:"team_id"`
	Revision uint64 `json:"revision"`
}

// registerTeam: POST /teams (coordinator) {name, station_id, skills,
// capacity} → 201 {team_id}.
func (r *CommandRoutes) registerTeam(c echo.Context) error {
	var body registerTeamRequest
	if err := Bind(c, &body); err != nil {
		return err
	}
	env, err := commandEnvelope(c)
	if err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	skills := make([]domain.Category, len(body.Skills))
	for i, s := range body.Skills {
		skills[i] = domain.Category(s)
	}
	res, err := r.cmds.RegisterTeam(c.Request().Context(), app.RegisterTeam{Envelope: env, Spec: domain.TeamSpec{
		Name: body.Name, StationID: body.StationID, Skills: skills, Capacity: body.Capacity}})
	if err != nil {
		return commandError(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, APIPrefix+"/teams/"+res.TeamID)
	return commandResponse(c, http.StatusCreated, res.Revision, res.Position, res.Replayed, teamResponse{TeamID: res.TeamID, Revision: res.Revision})
}
