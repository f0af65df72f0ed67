package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type stationRow struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	InstituteID   string `json:"institute_id"`
	InstituteName string `json:"institute_name"`
}

// stations: GET /stations (any signed-in role) → {"stations": [{id, name,
// institute_id, institute_name}]} in directory order.
func (r *CommandRoutes) stations(c echo.Context) error {
	sts := r.dir.Stations()
	rows := make([]stationRow, len(sts))
	for i, st := range sts {
		in, _ := r.dir.Institute(st.InstituteID)
		rows[i] = stationRow{ID: st.ID, Name: st.Name, InstituteID: st.InstituteID, InstituteName: in.Name}
	}
	return c.JSON(http.StatusOK, map[string][]stationRow{"stations": rows})
}
