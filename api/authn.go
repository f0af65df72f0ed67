package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// errNoToken is ErrUnauthenticated with a message telling how to sign in.
var errNoToken = &classed{class: ErrUnauthenticated,
	msg: "no bearer token; sign in with the header Authorization: Bearer <token> (mint one with `paidan token`)"}

// classed is an error of a class whose message is its own, without the
// class's name in front.
type classed struct {
	class error
	msg   string
}

func (e *classed) Error() string { return e.msg }
func (e *classed) Unwrap() error { return e.class }

// authenticate verifies the bearer token and puts the actor in the request's
// context; a request without a valid token gets 401 and reaches no handler.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, token, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return errNoToken
		}
		actor, err := s.verifier.Verify(c.Request().Context(), strings.TrimSpace(token))
		if err != nil {
			if !errors.Is(err, ErrUnauthenticated) {
				// A Verifier that broke its contract; the client still gets a 401.
				err = fmt.Errorf("%w: %w", ErrUnauthenticated, err)
			}
			return fmt.Errorf("the bearer token was refused: %w", err)
		}
		req := c.Request()
		c.SetRequest(req.WithContext(auth.WithActor(req.Context(), actor)))
		return next(c)
	}
}

// Actor returns the signed-in actor of a request that passed authentication;
// a request without one yields an error wrapping ErrUnauthenticated.
func Actor(c echo.Context) (domain.Actor, error) {
	a, ok := auth.ActorFrom(c.Request().Context())
	if !ok {
		return domain.Actor{}, errNoToken
	}
	return a, nil
}

// RequireRole admits only actors holding one of roles (list RoleAdmin
// explicitly where admins may act); others get 403. Object-level checks
// (whose order, which team's offer) belong to the domain.
func RequireRole(roles ...domain.Role) echo.MiddlewareFunc {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	want := strings.Join(names, " or ")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a, err := Actor(c)
			if err != nil {
				return err
			}
			if !slices.Contains(roles, a.Role) {
				return fmt.Errorf("%w: this endpoint is for role %s; your token has role %s",
					domain.ErrForbidden, want, a.Role)
			}
			return next(c)
		}
	}
}
