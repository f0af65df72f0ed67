package auth

import (
	"github.com/golang-jwt/jwt/v5"

	"github.com/paidan/paidan/domain"
)

// claims is the JWT body Paidan reads and writes: sub, role, team_id, exp, iat.
type claims struct {
	Role   string `json:"role"`
	TeamID string `json:"team_id,omitempty"`
	jwt.RegisteredClaims
}

// actor turns verified claims into an Actor, refusing incomplete ones.
func (c *claims) actor() (domain.Actor, error) {
	a := domain.Actor{Subject: c.Subject, Role: domain.Role(c.Role), TeamID: c.TeamID}
	if err := ValidateActor(a); err != nil {
		return domain.Actor{}, refuse(err)
	}
	return a, nil
}
