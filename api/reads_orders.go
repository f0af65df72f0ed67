package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

// orderBody is GET /orders/{id}'s answer: the order as the orders read model
// holds it, and how fresh that is.
type orderBody struct {
	projections.OrderView
	Freshness freshnessBody `json:"freshness"`
}

// order: GET /orders/{id} (the resident who placed it, the team it is
// offered to or accepted by, coordinators, admins, auditors) → the order.
// ?min_position= waits for the command's position first.
func (r *ReadRoutes) order(c echo.Context) error {
	actor, err := Actor(c)
	if err != nil {
		return err
	}
	id, err := orderID(c)
	if err != nil {
		return err
	}
	reached, err := r.awaitPosition(c, projections.NameOrders)
	if err != nil {
		return err
	}
	v, fr, err := r.deps.Reader.Order(c.Request().Context(), id.String())
	if err != nil {
		return readError(err)
	}
	if err := mayReadOrder(actor, v); err != nil {
		return err
	}
	c.Response().Header().Set("ETag", strconv.Quote(strconv.FormatUint(v.Revision, 10)))
	return c.JSON(http.StatusOK, orderBody{OrderView: v, Freshness: setFreshness(c, fr, reached)})
}

// mayReadOrder says who may read an order: staff who oversee dispatch, the
// resident who placed it, and the team it is currently offered to or
// accepted by.
func mayReadOrder(a domain.Actor, v projections.OrderView) error {
	switch a.Role {
	case domain.RoleCoordinator, domain.RoleAdmin, domain.RoleAuditor:
		return nil
	case domain.RoleResident:
		if a.Subject == v.Resident {
			return nil
		}
		return fmt.Errorf("%w: order %s was placed by another resident", domain.ErrForbidden, v.OrderID)
	case domain.RoleTeam:
		if a.TeamID != "" && a.TeamID == v.TeamID {
			return nil
		}
		return fmt.Errorf("%w: order %s is not offered to or accepted by team %s", domain.ErrForbidden, v.OrderID, a.TeamID)
	}
	return fmt.Errorf("%w: role %s may not read orders; coordinator, admin, auditor, the resident or the team may",
		domain.ErrForbidden, a.Role)
}
