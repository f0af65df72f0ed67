package domain

import (
	"encoding/json"
	"fmt"
)

// Metadata is the envelope stored beside every event's payload: who caused
// it, in answer to what, and in which schema. The command layer writes it;
// projections read the correlation id from it; auditors read all of it.
type Metadata struct {
	// CorrelationID ties together every event caused by one request
	// (X-Request-ID, or a new id), across streams and process managers.
	CorrelationID string `json:"correlation_id"`
	// CausationID is the id of the command or event that directly caused this one.
	CausationID string `json:"causation_id,omitempty"`
	// ActorSubject and ActorRole are the identity that issued the command
	// (the token's sub and role, or a system actor).
	ActorSubject string `json:"actor_subject"`
	ActorRole    Role   `json:"actor_role"`
	// IdempotencyKey is the client's Idempotency-Key header, when given.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// RequestFingerprint digests the parameters of the request that carried
	// IdempotencyKey, when the caller gave one: a later request with the
	// same key and other parameters is refused, not answered as its retry.
	RequestFingerprint string `json:"request_fingerprint,omitempty"`
	// SchemaVersion is the payload's schema version when written
	// (SchemaVersion(event type)); informative only: the payload itself says
	// which version it is.
	SchemaVersion int `json:"schema_version"`
}

// NewMetadata fills the envelope for an event of type eventType issued by actor.
func NewMetadata(eventType string, actor Actor, correlationID, causationID, idempotencyKey string) Metadata {
	return Metadata{
		CorrelationID:  correlationID,
		CausationID:    causationID,
		ActorSubject:   actor.Subject,
		ActorRole:      actor.Role,
		IdempotencyKey: idempotencyKey,
		SchemaVersion:  SchemaVersion(eventType),
	}
}

// Marshal encodes the metadata as stored.
func (m Metadata) Marshal() ([]byte, error) { return json.Marshal(m) }

// ParseMetadata decodes stored metadata. Empty input (an event written
// without metadata) gives the zero Metadata and no error.
func ParseMetadata(data []byte) (Metadata, error) {
	var m Metadata
	if len(data) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return Metadata{}, fmt.Errorf("%w: metadata: %v", ErrMalformedEvent, err)
	}
	return m, nil
}
