package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Codec errors. They report stored bytes the domain cannot read, not refused
// commands, so they belong to no error class (the API answers 500).
var (
	// ErrUnknownEventType: the type string is not one of the EventType… constants.
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrMalformedEvent: the payload does not decode as its type's JSON form.
	ErrMalformedEvent = errors.New("malformed event payload")
)

// Payload schema versions.
//
// Every event type has a current schema version (1 unless its payload has
// changed since release). Payloads of version 1 carry no version field, so a
// type released at version 1 is stored exactly as its struct marshals.
// Payloads of version 2 and later begin with "schema_version": N. On decoding,
// a payload older than the current version is passed through the upcasters
// registered for its type, one version step at a time, and then decoded into
// the current struct; stored events are never rewritten.
//
// To change a payload: bump the type's version in eventSpecs, register an
// upcaster from the previous version in upcasters (upcast.go), keep the old
// form's file under testdata/upcast, and add the new golden file.
type eventSpec struct {
	version int
	decode  func([]byte) (Event, error)
}

func decodeAs[T Event](data []byte) (Event, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

var eventSpecs = map[string]eventSpec{
	EventTypeOrderPlaced:    {1, decodeAs[OrderPlaced]},
	EventTypeOrderOffered:   {1, decodeAs[OrderOffered]},
	EventTypeOfferAccepted:  {1, decodeAs[OfferAccepted]},
	EventTypeOfferDeclined:  {1, decodeAs[OfferDeclined]},
	EventTypeOfferExpired:   {1, decodeAs[OfferExpired]},
	EventTypeOfferWithdrawn: {1, decodeAs[OfferWithdrawn]},
	EventTypeOrderEscalated: {1, decodeAs[OrderEscalated]},
	EventTypeServiceStarted: {1, decodeAs[ServiceStarted]},
	EventTypeOrderCompleted: {1, decodeAs[OrderCompleted]},
	EventTypeOrderRated:     {2, decodeAs[OrderRated]},
	EventTypeOrderCancelled: {1, decodeAs[OrderCancelled]},
	EventTypeTeamRegistered: {1, decodeAs[TeamRegistered]},
	EventTypeTeamUpdated:    {1, decodeAs[TeamUpdated]},
	EventTypeTeamSuspended:  {1, decodeAs[TeamSuspended]},
	EventTypeTeamResumed:    {1, decodeAs[TeamResumed]},
}

// EventTypes lists every known event type name, sorted.
func EventTypes() []string {
	return []string{
		EventTypeOfferAccepted, EventTypeOfferDeclined, EventTypeOfferExpired, EventTypeOfferWithdrawn,
		EventTypeOrderCancelled, EventTypeOrderCompleted, EventTypeOrderEscalated, EventTypeOrderOffered,
		EventTypeOrderPlaced, EventTypeOrderRated, EventTypeServiceStarted,
		EventTypeTeamRegistered, EventTypeTeamResumed, EventTypeTeamSuspended, EventTypeTeamUpdated,
	}
}

// SchemaVersion is the current payload schema version of an event type, or 0
// for an unknown type. The command layer records it in Metadata.SchemaVersion.
func SchemaVersion(eventType string) int { return eventSpecs[eventType].version }

// MarshalEvent turns an event into its stored type name and JSON payload.
func MarshalEvent(e Event) (typ string, data []byte, err error) {
	if e == nil {
		return "", nil, fmt.Errorf("%w: expected an event, found nil", ErrUnknownEventType)
	}
	typ = e.EventType()
	spec, ok := eventSpecs[typ]
	if !ok {
		return "", nil, fmt.Errorf("%w: %q", ErrUnknownEventType, typ)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("marshal %s: %w", typ, err)
	}
	if spec.version > 1 {
		data = withSchemaVersion(data, spec.version)
	}
	return typ, data, nil
}

// withSchemaVersion puts "schema_version": v first in a JSON object.
func withSchemaVersion(obj []byte, v int) []byte {
	var b bytes.Buffer
	b.Grow(len(obj) + 24)
	b.WriteString(`{"schema_version":`)
	b.WriteString(strconv.Itoa(v))
	if rest := bytes.TrimSpace(obj[1:]); len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(obj[1:])
	return b.Bytes()
}

// UnmarshalEvent decodes a stored event of any schema version into the
// current event value (OrderPlaced, TeamRegistered, …), upcasting old payloads.
// Unknown types wrap ErrUnknownEventType; undecodable payloads ErrMalformedEvent.
func UnmarshalEvent(typ string, data []byte) (Event, error) {
	spec, ok := eventSpecs[typ]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, typ)
	}
	if spec.version > 1 {
		var err error
		if data, err = upcast(typ, spec.version, data); err != nil {
			return nil, err
		}
	}
	e, err := spec.decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
	}
	return e, nil
}

// upcast brings a payload of any older version of typ to version current.
func upcast(typ string, current int, data []byte) ([]byte, error) {
	var peek struct {
		V *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &peek); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
	}
	v := 1
	if peek.V != nil {
		v = *peek.V
	}
	if v < 1 || v > current {
		return nil, fmt.Errorf("%w: %s: schema version %d; this build reads versions 1 to %d",
			ErrMalformedEvent, typ, v, current)
	}
	for ; v < current; v++ {
		up, ok := upcasters[upcastKey{typ, v}]
		if !ok {
			return nil, fmt.Errorf("%w: %s: no upcaster from schema version %d", ErrMalformedEvent, typ, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("%w: %s: upcasting from version %d: %v", ErrMalformedEvent, typ, v, err)
		}
	}
	return data, nil
}
