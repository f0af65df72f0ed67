package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// Headers of the command endpoints.
const (
	// HeaderIdempotencyKey makes a retried command return the first result
	// and append nothing.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotentReplayed is "true" on a response answered from an
	// earlier request with the same Idempotency-Key.
	HeaderIdempotentReplayed = "Idempotent-Replayed"
)

// CommandDeps are what the write-side endpoints need.
type CommandDeps struct {
	// Commands handles the commands; required.
	Commands *app.Commands
	// Store serves an order's events to auditors; required.
	Store eventstore.Store
	// Directory lists the stations; required.
	Directory *domain.Directory
}

// Validate checks that every required dependency is there.
func (d CommandDeps) Validate() error {
	var errs []error
	if d.Commands == nil {
		errs = append(errs, errors.New("commands: required"))
	}
	if d.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if d.Directory == nil {
		errs = append(errs, errors.New("directory: required"))
	}
	return errors.Join(errs...)
}

// CommandRoutes are the write side's endpoints: the order commands,
// registering teams, the station list and an order's events. Register them
// with Server.Register(routes.Register).
type CommandRoutes struct {
	cmds  *app.Commands
	store eventstore.Store
	dir   *domain.Directory
}

// NewCommandRoutes builds the write side's endpoints.
func NewCommandRoutes(deps CommandDeps) (*CommandRoutes, error) {
	if err := deps.Validate(); err != nil {
		return nil, fmt.Errorf("command routes: %w", err)
	}
	return &CommandRoutes{cmds: deps.Commands, store: deps.Store, dir: deps.Directory}, nil
}

// Register adds the routes to the /api/v1 group. Roles are checked per
// route before anything is read; whose order and which team's offer the
// domain checks.
func (r *CommandRoutes) Register(g *echo.Group) {
	var (
		resident = RequireRole(domain.RoleResident)
		team     = RequireRole(domain.RoleTeam)
		staff    = RequireRole(domain.RoleCoordinator, domain.RoleAdmin)
		canceler = RequireRole(domain.RoleResident, domain.RoleCoordinator, domain.RoleAdmin)
		auditor  = RequireRole(domain.RoleAuditor, domain.RoleCoordinator, domain.RoleAdmin)
	)
	g.POST("/orders", r.placeOrder, resident)
	g.POST("/orders/:id/dispatch", r.dispatchOrder, staff)
	g.POST("/orders/:id/accept", r.acceptOffer, team)
	g.POST("/orders/:id/decline", r.declineOffer, team)
	g.POST("/orders/:id/start", r.startService, team)
	g.POST("/orders/:id/complete", r.completeOrder, team)
	g.POST("/orders/:id/rate", r.rateOrder, resident)
	g.POST("/orders/:id/cancel", r.cancelOrder, canceler)
	g.GET("/orders/:id/events", r.orderEvents, auditor)
	g.POST("/teams", r.registerTeam, staff)
	g.GET("/stations", r.stations)
}

// commandEnvelope builds a command's envelope from the request: the actor
// from the verified token only, the request id as correlation id, and the
// Idempotency-Key and If-Match headers.
func commandEnvelope(c echo.Context) (app.Envelope, error) {
	actor, err := Actor(c)
	if err != nil {
		return app.Envelope{}, err
	}
	h := c.Request().Header
	key := h.Get(HeaderIdempotencyKey)
	if err := app.ValidateIdempotencyKey(key); err != nil {
		return app.Envelope{}, fmt.Errorf("%w: header %s: %v", ErrMalformedRequest, HeaderIdempotencyKey, err)
	}
	ifMatch, err := parseIfMatch(h.Get("If-Match"))
	if err != nil {
		return app.Envelope{}, err
	}
	return app.Envelope{Actor: actor, CorrelationID: RequestID(c), IdempotencyKey: key, IfMatch: ifMatch}, nil
}

// fingerprint digests a command's decoded body, for Envelope.Fingerprint.
// The decoded value, not the bytes: json.Marshal writes a struct's fields in
// their declared order, so a retry that spaces or orders its JSON otherwise
// has the same fingerprint, and an omitted optional body is the same as {}.
func fingerprint(body any) string {
	b, err := json.Marshal(body)
	if err != nil {
		return "" // not for these plain structs; no check rather than a false refusal
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// parseIfMatch reads If-Match: "<revision>" as ETags carry it (a bare number
// is accepted too); empty or * means no precondition.
func parseIfMatch(v string) (*uint64, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return nil, nil
	}
	s := v
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	r, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: header If-Match: expected one revision as the ETag gives it, such as \"3\", found %q",
			ErrMalformedRequest, v)
	}
	return &r, nil
}

// orderID reads the :id path parameter. A value that is not a UUID cannot
// name an order, so it is a 404 like any unknown order.
func orderID(c echo.Context) (uuid.UUID, error) {
	s := c.Param("id")
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: %q is not an order id (a UUID)", domain.ErrOrderNotFound, s)
	}
	return id, nil
}

// commandError lets the one error mapper see the command layer's
// precondition failure as the HTTP layer's (412), keeping its message.
func commandError(err error) error {
	if errors.Is(err, app.ErrPreconditionFailed) && !errors.Is(err, ErrPreconditionFailed) {
		return preconditionError{err}
	}
	return err
}

type preconditionError struct{ err error }

func (e preconditionError) Error() string   { return e.err.Error() }
func (e preconditionError) Unwrap() []error { return []error{ErrPreconditionFailed, e.err} }

// commandResponse writes a command's answer: the ETag of the new revision,
// the global position of its last event (X-Paidan-Position: pass it as
// ?min_position= to read your own write), whether it was replayed, and the
// body.
func commandResponse(c echo.Context, status int, revision uint64, position eventstore.Position, replayed bool, body any) error {
	h := c.Response().Header()
	h.Set("ETag", strconv.Quote(strconv.FormatUint(revision, 10)))
	if position > 0 {
		h.Set(HeaderPosition, strconv.FormatUint(uint64(position), 10))
	}
	if replayed {
		h.Set(HeaderIdempotentReplayed, "true")
	}
	return c.JSON(status, body)
}
