package domain

import "fmt"

// Role is what a signed-in person may do. Roles come from a verified token
// claim; the domain checks them together with object ownership (whose order,
// which team's offer).
type Role string

// The roles a token may carry.
const (
	RoleResident    Role = "resident"
	RoleTeam        Role = "team"
	RoleCoordinator Role = "coordinator"
	RoleAuditor     Role = "auditor"
	RoleAnalyst     Role = "analyst"
	RoleAdmin       Role = "admin"
)

// RoleSystem is the role of the server's own actors (the dispatcher, the offer
// expiry timer, the demo loader). It is never valid in a token: ParseRole
// refuses it, so no request can claim it.
const RoleSystem Role = "system"

// Roles returns the roles a token may carry, in a fixed order.
func Roles() []Role {
	return []Role{RoleResident, RoleTeam, RoleCoordinator, RoleAuditor, RoleAnalyst, RoleAdmin}
}

// Valid reports whether r is one of the roles a token may carry (RoleSystem is not).
func (r Role) Valid() bool {
	switch r {
	case RoleResident, RoleTeam, RoleCoordinator, RoleAuditor, RoleAnalyst, RoleAdmin:
		return true
	}
	return false
}

// ParseRole turns a token's role claim into a Role. It refuses RoleSystem and
// anything unknown with a *ValidationError (field "role").
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", &ValidationError{Field: "role",
			Reason: fmt.Sprintf("expected one of resident, team, coordinator, auditor, analyst, admin; found %q", s)}
	}
	return r, nil
}

// Actor is who issues a command: the token's subject and role, and for team
// members the team they act for. Bodies never name the actor.
type Actor struct {
	Subject string
	Role    Role
	// TeamID is set for RoleTeam only.
	TeamID string
}

// SystemActor is the actor of the server's own components; name says which
// (for example "dispatcher"), so event metadata tells them apart.
func SystemActor(name string) Actor { return Actor{Subject: name, Role: RoleSystem} }

// isDispatcher reports whether a may assign orders to teams by hand:
// coordinators and admins.
func (a Actor) isDispatcher() bool { return a.Role == RoleCoordinator || a.Role == RoleAdmin }

// isStaffOrSystem reports whether a may manage orders and teams: a coordinator,
// an admin or the server itself.
func (a Actor) isStaffOrSystem() bool { return a.isDispatcher() || a.Role == RoleSystem }
