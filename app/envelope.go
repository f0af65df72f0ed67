package app

import (
	"fmt"

	"github.com/paidan/paidan/domain"
)

// MaxIdempotencyKeyLength bounds an Idempotency-Key in bytes.
const MaxIdempotencyKeyLength = 255

// Envelope is what every command carries besides its own fields: who issues
// it, in answer to what, and the client's retry and concurrency guards.
type Envelope struct {
	// Actor issues the command; required. For requests it comes from the
	// verified token only; process managers use domain.SystemActor.
	Actor domain.Actor
	// CorrelationID ties the events to the request (X-Request-ID); optional,
	// default a new random id.
	CorrelationID string
	// CausationID is what directly caused the command; optional, default the
	// command's own id. Process managers set the triggering event's id.
	CausationID string
	// IdempotencyKey makes a retry return the first result and append
	// nothing: the events' ids derive from it, the actor's subject, the
	// command and the stream. Optional (random ids without it); printable
	// ASCII, at most MaxIdempotencyKeyLength bytes. Process managers set it
	// from the triggering event's id so a redelivered trigger is absorbed.
	IdempotencyKey string
	// Fingerprint digests the command's parameters (RequestFingerprint);
	// optional. With an IdempotencyKey, a request whose first use stored
	// another fingerprint fails with ErrIdempotencyKeyReused.
	Fingerprint string
	// IfMatch is the revision the client expects the stream's last event to
	// have; optional. When it differs the command fails with
	// ErrPreconditionFailed and appends nothing.
	IfMatch *uint64
}

// Revision returns a pointer to r, for Envelope.IfMatch.
func Revision(r uint64) *uint64 { return &r }

func (e Envelope) validate() error {
	if e.Actor.Subject == "" || e.Actor.Role == "" {
		return fmt.Errorf("%w: expected an actor with a subject and a role, found subject %q and role %q",
			domain.ErrForbidden, e.Actor.Subject, e.Actor.Role)
	}
	return ValidateIdempotencyKey(e.IdempotencyKey)
}

// ValidateIdempotencyKey checks a client's Idempotency-Key: empty (none), or
// 1 to MaxIdempotencyKeyLength bytes of printable ASCII. Refusals are
// *domain.ValidationError for field "Idempotency-Key".
func ValidateIdempotencyKey(key string) error {
	if len(key) > MaxIdempotencyKeyLength {
		return &domain.ValidationError{Field: "Idempotency-Key",
			Reason: fmt.Sprintf("expected at most %d bytes, found %d", MaxIdempotencyKeyLength, len(key))}
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return &domain.ValidationError{Field: "Idempotency-Key",
				Reason: fmt.Sprintf("expected printable ASCII without spaces, found byte 0x%02x at %d", key[i], i)}
		}
	}
	return nil
}
