package domain

import "errors"

// Error classes. Every domain error wraps exactly one of them, so the HTTP
// layer maps a whole class to one status with errors.Is and never needs to
// know individual errors:
//
//	ErrInvalid   → 422: a field value is out of range or unknown
//	ErrForbidden → 403: the actor may not do this to this object
//	ErrConflict  → 409: the transition is not allowed in the current state
//	ErrNotFound  → 404: the object does not exist
var (
	ErrInvalid   = errors.New("invalid")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
	ErrNotFound  = errors.New("not found")
)

// kindError is a specific domain error that belongs to a class.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// newError declares a specific error of a class; errors.Is matches both the
// specific error and its class.
func newError(kind error, msg string) error { return &kindError{msg: msg, kind: kind} }

// Specific errors of orders. Messages are completed with details by wrapping
// (fmt.Errorf("%w: …")), so errors.Is matches the specific error and its class.
var (
	ErrOrderNotFound    = newError(ErrNotFound, "order not found")
	ErrNotOffered       = newError(ErrConflict, "order has no pending offer")
	ErrNotYourOffer     = newError(ErrForbidden, "offer was made to another team")
	ErrOfferNotCurrent  = newError(ErrConflict, "offer is no longer the order's current offer")
	ErrOfferExpired     = newError(ErrConflict, "offer has expired")
	ErrOfferNotDue      = newError(ErrConflict, "offer has not expired yet")
	ErrAlreadyOffered   = newError(ErrConflict, "order is already offered")
	ErrTeamRefused      = newError(ErrConflict, "team already declined this order or let it expire")
	ErrEscalated        = newError(ErrConflict, "order is escalated: only a coordinator may dispatch it")
	ErrAlreadyEscalated = newError(ErrConflict, "order is already escalated")
	ErrNotEscalatable   = newError(ErrConflict, "only a placed order can be escalated")
	ErrAlreadyAccepted  = newError(ErrConflict, "order is already accepted")
	ErrNotAccepted      = newError(ErrConflict, "order has not been accepted")
	ErrAlreadyStarted   = newError(ErrConflict, "service has already started")
	ErrNotCompleted     = newError(ErrConflict, "order is not completed")
	ErrAlreadyRated     = newError(ErrConflict, "order is already rated")
	ErrAlreadyCancelled = newError(ErrConflict, "order is cancelled")
	ErrOrderClosed      = newError(ErrConflict, "order is completed; it can no longer change")
	ErrNotYourOrder     = newError(ErrForbidden, "order was placed by another resident")
	ErrNotAssignedTeam  = newError(ErrForbidden, "order is assigned to another team")
	ErrRoleNotAllowed   = newError(ErrForbidden, "role may not do this")
)

// Specific errors of teams.
var (
	ErrTeamNotFound = newError(ErrNotFound, "team not found")
	// ErrTeamExists is for the command layer: registering an id whose stream
	// already has events.
	ErrTeamExists           = newError(ErrConflict, "team is already registered")
	ErrTeamAlreadySuspended = newError(ErrConflict, "team is already suspended")
	ErrTeamNotSuspended     = newError(ErrConflict, "team is not suspended")
	ErrTeamSuspended        = newError(ErrConflict, "team is suspended")
	ErrTeamLacksSkill       = newError(ErrConflict, "team does not offer the order's category")
)

// ErrCorruptHistory reports a stream whose events cannot have been produced
// by the domain's commands (a first event that is not a creation, a
// transition the state machine does not allow, events of another aggregate).
// It is not a command refusal and belongs to no class: the API answers 500.
var ErrCorruptHistory = errors.New("inconsistent event history")
