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
