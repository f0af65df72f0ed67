package auth

import (
	"context"

	"github.com/paidan/paidan/domain"
)

// Verifier turns a bearer token into the actor it was issued to. A token
// that is missing, malformed, expired, signed with another key or algorithm,
// or carrying invalid claims yields an error wrapping ErrUnauthenticated.
type Verifier interface {
	Verify(ctx context.Context, token string) (domain.Actor, error)
}
