package api

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// Bodies of the order commands. The acting identity is never in a body:
// the strict binder refuses any field not declared here.
type (
	placeOrderRequest struct {
		Category  string `json:"category"`
		Title     string `json:"title"`
		Details   string `json:"details"`
		StationID string `json:"station_id"`
		Contact   string `json:"contact"`
	}
	dispatchRequest struct {
		TeamID string `json:"team_id"`
	}
	emptyRequest  struct{}
	reasonRequest struct {
		Reason string `json:"reason"`
	}
	completeRequest struct {
		Notes          string  `json:"notes"`
		VolunteerHours float64 `json:"volunteer_hours"`
	}
	rateRequest struct {
		Stars   int    `json:"stars"`
		Comment string `json:"comment"`
	}
)

// orderResponse is the body of every order command's answer.
type orderResponse struct {
	OrderID  uuid.UUID          `json:"order_id"`
	Status   domain.OrderStatus `json:"status"`
	Revision uint64             `json:"revision"`
}

type dispatchResponse struct {
	orderResponse
	TeamID    string    `json:"team_id"`
	OfferID   uuid.UUID `json:"offer_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

func respondOrder(c echo.Context, status int, res app.OrderResult, err error) error {
	if err != nil {
		return commandError(err)
	}
	return commandResponse(c, status, res.Revision, res.Position, res.Replayed,
		orderResponse{OrderID: res.OrderID, Status: res.Status, Revision: res.Revision})
}

// placeOrder: POST /orders (resident) → 201 {order_id, status, revision}.
func (r *CommandRoutes) placeOrder(c echo.Context) error {
	var body placeOrderRequest
	if err := Bind(c, &body); err != nil {
		return err
	}
	env, err := commandEnvelope(c)
	if err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	res, err := r.cmds.PlaceOrder(c.Request().Context(), app.PlaceOrder{Envelope: env,
		Category: domain.Category(body.Category), Title: body.Title, Details: body.Details,
		StationID: body.StationID, Contact: body.Contact})
	if err == nil {
		c.Response().Header().Set(echo.HeaderLocation, APIPrefix+"/orders/"+res.OrderID.String())
	}
	return respondOrder(c, http.StatusCreated, res, err)
}

// dispatchOrder: POST /orders/{id}/dispatch (coordinator) {team_id?} → 200
// {status:"offered", team_id, offer_id, expires_at}.
func (r *CommandRoutes) dispatchOrder(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	var body dispatchRequest
	if err := BindOptional(c, &body); err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	res, err := r.cmds.DispatchOrder(c.Request().Context(), app.DispatchOrder{Envelope: env, OrderID: id, TeamID: body.TeamID})
	if err != nil {
		return commandError(err)
	}
	return commandResponse(c, http.StatusOK, res.Revision, res.Position, res.Replayed, dispatchResponse{
		orderResponse: orderResponse{OrderID: res.OrderID, Status: res.Status, Revision: res.Revision},
		TeamID:        res.TeamID, OfferID: res.OfferID, ExpiresAt: res.ExpiresAt,
	})
}

// acceptOffer: POST /orders/{id}/accept (the team offered it) {} → 200.
func (r *CommandRoutes) acceptOffer(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	if err := BindOptional(c, &emptyRequest{}); err != nil {
		return err
	}
	res, err := r.cmds.AcceptOffer(c.Request().Context(), app.AcceptOffer{Envelope: env, OrderID: id})
	return respondOrder(c, http.StatusOK, res, err)
}

// declineOffer: POST /orders/{id}/decline (the team offered it) {reason} → 200.
func (r *CommandRoutes) declineOffer(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	var body reasonRequest
	if err := BindOptional(c, &body); err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	res, err := r.cmds.DeclineOffer(c.Request().Context(), app.DeclineOffer{Envelope: env, OrderID: id, Reason: body.Reason})
	return respondOrder(c, http.StatusOK, res, err)
}

// startService: POST /orders/{id}/start (the accepting team) {} → 200.
func (r *CommandRoutes) startService(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	if err := BindOptional(c, &emptyRequest{}); err != nil {
		return err
	}
	res, err := r.cmds.StartService(c.Request().Context(), app.StartService{Envelope: env, OrderID: id})
	return respondOrder(c, http.StatusOK, res, err)
}

// completeOrder: POST /orders/{id}/complete (the accepting team) {notes,
// volunteer_hours} → 200.
func (r *CommandRoutes) completeOrder(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	var body completeRequest
	if err := Bind(c, &body); err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	res, err := r.cmds.CompleteOrder(c.Request().Context(), app.CompleteOrder{Envelope: env, OrderID: id,
		VolunteerHours: body.VolunteerHours, Notes: body.Notes})
	return respondOrder(c, http.StatusOK, res, err)
}

// rateOrder: POST /orders/{id}/rate (the resident who placed it) {stars,
// comment} → 200.
func (r *CommandRoutes) rateOrder(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	var body rateRequest
	if err := Bind(c, &body); err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	res, err := r.cmds.RateOrder(c.Request().Context(), app.RateOrder{Envelope: env, OrderID: id,
		Stars: body.Stars, Comment: body.Comment})
	return respondOrder(c, http.StatusOK, res, err)
}

// cancelOrder: POST /orders/{id}/cancel (that resident, or a coordinator)
// {reason} → 200.
func (r *CommandRoutes) cancelOrder(c echo.Context) error {
	id, env, err := orderCommand(c)
	if err != nil {
		return err
	}
	var body reasonRequest
	if err := BindOptional(c, &body); err != nil {
		return err
	}
	env.Fingerprint = fingerprint(body)
	res, err := r.cmds.CancelOrder(c.Request().Context(), app.CancelOrder{Envelope: env, OrderID: id, Reason: body.Reason})
	return respondOrder(c, http.StatusOK, res, err)
}

// orderCommand reads what every command on one order needs.
func orderCommand(c echo.Context) (uuid.UUID, app.Envelope, error) {
	id, err := orderID(c)
	if err != nil {
		return uuid.Nil, app.Envelope{}, err
	}
	env, err := commandEnvelope(c)
	return id, env, err
}
