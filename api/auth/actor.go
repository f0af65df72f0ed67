// Package auth signs users in: it verifies bearer JWTs (HS256 with a local
// secret, or an identity provider's JWKS) into a domain.Actor, and mints
// tokens for development with the local secret.
package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/paidan/paidan/domain"
)

// Errors of sign-in. Every verification failure wraps ErrUnauthenticated.
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrInvalidClaims: the claims do not describe a valid actor.
	ErrInvalidClaims = errors.New("invalid claims")
)

// ValidateActor checks that a token may carry the actor: a subject, a role
// a token may hold (never domain.RoleSystem), and a team id exactly when the
// role is team.
func ValidateActor(a domain.Actor) error {
	var errs []error
	if a.Subject == "" {
		errs = append(errs, fmt.Errorf("%w: subject (sub) is empty", ErrInvalidClaims))
	}
	if _, err := domain.ParseRole(string(a.Role)); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrInvalidClaims, err))
	}
	switch {
	case a.Role == domain.RoleTeam && a.TeamID == "":
		errs = append(errs, fmt.Errorf("%w: role team requires team_id, found none", ErrInvalidClaims))
	case a.Role != domain.RoleTeam && a.TeamID != "":
		errs = append(errs, fmt.Errorf("%w: team_id is only for role team, found it with role %q", ErrInvalidClaims, a.Role))
	case a.TeamID != "" && !domain.ValidID(a.TeamID):
		errs = append(errs, fmt.Errorf("%w: team_id %q is not a valid id", ErrInvalidClaims, a.TeamID))
	}
	return errors.Join(errs...)
}

type actorKey struct{}

// WithActor returns a context carrying the signed-in actor.
func WithActor(ctx context.Context, a domain.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor the request was signed in as, if any.
func ActorFrom(ctx context.Context) (domain.Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(domain.Actor)
	return a, ok
}

// refused is a verification failure: it is ErrUnauthenticated and the cause,
// and its message is the cause's alone, so a client reads "token has
// invalid claims: token is expired" rather than a chain of class names.
type refused struct{ cause error }

func (e *refused) Error() string   { return e.cause.Error() }
func (e *refused) Unwrap() []error { return []error{ErrUnauthenticated, e.cause} }

func refuse(cause error) error { return &refused{cause: cause} }
