package app

import (
	"errors"

	"github.com/paidan/paidan/domain"
)

// ErrPreconditionFailed: the command named the revision it expected the
// stream to be at (If-Match) and the stream has moved on. It belongs to no
// domain class; the HTTP layer answers 412.
var ErrPreconditionFailed = errors.New("precondition failed")

// ErrIdempotencyKeyReused: a request carried the Idempotency-Key of an
// earlier one (same person, command and order) with other parameters. It is
// not that request's retry, and answering it with the first result would
// hide that it was never applied; the HTTP layer answers 422.
var ErrIdempotencyKeyReused = errors.New("idempotency key reused with other parameters")

// classError is an application error that belongs to one domain error class,
// so the HTTP layer maps it like the domain's own.
type classError struct {
	msg   string
	class error
}

func (e *classError) Error() string { return e.msg }
func (e *classError) Unwrap() error { return e.class }

// ErrNoCandidate: automatic dispatch found no active team with the order's
// category and free capacity that has not refused it. A conflict: the order
// stays as it is and a coordinator may choose a team by hand.
var ErrNoCandidate error = &classError{msg: "no team can take the order now", class: domain.ErrConflict}

// ErrUnknownTeam: a command names a team that was never registered. Invalid
// input (422) where the team comes from a request body; the team commands
// themselves answer domain.ErrTeamNotFound (404).
var ErrUnknownTeam error = &classError{msg: "team is not registered", class: domain.ErrInvalid}
