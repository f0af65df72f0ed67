package projections

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

// Metadata keys the Source sets on every watermill message. A recorded event's
// own metadata keys (correlation_id, causation_id, …) are copied beside them;
// a key of the event that collides with one of these is kept under "event_"+key.
const (
	// KeyKind is KindEvent, KindCheckpoint or KindCaughtUp.
	KeyKind = "kind"
	// KeyStream, KeyRevision, KeyType and KeyCreated describe the event; set on
	// KindEvent messages only.
	KeyStream   = "stream"
	KeyRevision = "revision"
	KeyType     = "type"
	// KeyCreated is the store's commit time, RFC 3339 with nanoseconds, UTC.
	KeyCreated = "created"
	// KeyPosition is the event's global position (KindEvent) or the resume
	// position (KindCheckpoint), in decimal.
	KeyPosition = "position"
	// KeyBuffered is how many further subscription messages were already
	// received and waiting when this one was delivered, in decimal. "0" means a
	// consumer that batches should commit now: nothing more is at hand.
	KeyBuffered = "buffered"
)

// Message kinds (values of KeyKind).
const (
	KindEvent      = "event"
	KindCheckpoint = "checkpoint"
	KindCaughtUp   = "caught_up"
)

// Event is a recorded event as a projection sees it.
type Event struct {
	ID       uuid.UUID
	StreamID string
	Revision uint64
	Position eventstore.Position
	Type     string
	Created  time.Time
	Data     []byte
	Metadata []byte
	// Decoded is the domain event decoded from Type and Data once for all
	// projections; nil when the type is not a domain event.
	Decoded any
}

// EventFromRecorded copies a recorded event without decoding it.
func EventFromRecorded(r eventstore.RecordedEvent) Event {
	return Event{
		ID: uuid.UUID(r.ID), StreamID: r.StreamID, Revision: r.Revision, Position: r.Position,
		Type: r.Type, Created: r.Created, Data: r.Data, Metadata: r.Metadata,
	}
}

// newEventMessage turns a recorded event into a watermill message: the UUID is
// the event ID, the payload the event's data.
func newEventMessage(r eventstore.RecordedEvent) *message.Message {
	msg := message.NewMessage(uuid.UUID(r.ID).String(), r.Data)
	// Room for the six keys below, KeyBuffered and Paidan's seven metadata
	// keys: growing the map on the way was 1-2 % of a loaded server's CPU.
	msg.Metadata = make(message.Metadata, 16)
	if len(r.Metadata) > 0 && !setFlatMetadata(msg, r.Metadata) {
		setMetadata(msg, r.Metadata)
	}
	msg.Metadata.Set(KeyKind, KindEvent)
	msg.Metadata.Set(KeyStream, r.StreamID)
	msg.Metadata.Set(KeyRevision, strconv.FormatUint(r.Revision, 10))
	msg.Metadata.Set(KeyPosition, strconv.FormatUint(uint64(r.Position), 10))
	msg.Metadata.Set(KeyType, r.Type)
	msg.Metadata.Set(KeyCreated, r.Created.UTC().Format(time.RFC3339Nano))
	return msg
}

// setMetadata copies any JSON object's members into msg's metadata: strings
// as they are, other values as JSON; keys that name the message's own
// metadata get an "event_" prefix. Metadata that is not an object is
// dropped.
func setMetadata(msg *message.Message, data []byte) {
	var meta map[string]any
	if json.Unmarshal(data, &meta) != nil {
		return
	}
	for k, v := range meta {
		if reserved(k) {
			k = "event_" + k
		}
		if s, ok := v.(string); ok {
			msg.Metadata.Set(k, s)
		} else if b, err := json.Marshal(v); err == nil {
			msg.Metadata.Set(k, string(b))
		}
	}
}

func reserved(k string) bool {
	switch k {
	case KeyKind, KeyStream, KeyRevision, KeyPosition, KeyType, KeyCreated, KeyBuffered:
		return true
	}
	return false
}

// newControlMessage carries a checkpoint or the caught-up signal. Its UUID is
// random: it is not an event.
func newControlMessage(kind string, pos eventstore.Position) *message.Message {
	msg := message.NewMessage(uuid.NewString(), nil)
	msg.Metadata.Set(KeyKind, kind)
	msg.Metadata.Set(KeyPosition, strconv.FormatUint(uint64(pos), 10))
	return msg
}

// MessagePosition returns the position a message carries.
func MessagePosition(msg *message.Message) (eventstore.Position, error) {
	p, err := strconv.ParseUint(msg.Metadata.Get(KeyPosition), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("message %s: metadata %q is %q, expected a decimal position: %w",
			msg.UUID, KeyPosition, msg.Metadata.Get(KeyPosition), err)
	}
	return eventstore.Position(p), nil
}

// EventFromMessage rebuilds the Event a KindEvent message carries; the inverse
// of what the Source does. Metadata is not reconstructed byte for byte: the
// event's own keys are in the message metadata.
func EventFromMessage(msg *message.Message) (Event, error) {
	if k := msg.Metadata.Get(KeyKind); k != KindEvent {
		return Event{}, fmt.Errorf("message %s: kind is %q, expected %q", msg.UUID, k, KindEvent)
	}
	id, err := uuid.Parse(msg.UUID)
	if err != nil {
		return Event{}, fmt.Errorf("message UUID %q is not an event ID: %w", msg.UUID, err)
	}
	pos, err := MessagePosition(msg)
	if err != nil {
		return Event{}, err
	}
	rev, err := strconv.ParseUint(msg.Metadata.Get(KeyRevision), 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("message %s: revision %q: %w", msg.UUID, msg.Metadata.Get(KeyRevision), err)
	}
	created, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(KeyCreated))
	if err != nil {
		return Event{}, fmt.Errorf("message %s: created %q: %w", msg.UUID, msg.Metadata.Get(KeyCreated), err)
	}
	return Event{
		ID: id, StreamID: msg.Metadata.Get(KeyStream), Revision: rev, Position: pos,
		Type: msg.Metadata.Get(KeyType), Created: created, Data: msg.Payload,
	}, nil
}

// messageBuffered reports the KeyBuffered count; absent counts as none.
func messageBuffered(msg *message.Message) int {
	n, _ := strconv.Atoi(msg.Metadata.Get(KeyBuffered))
	return n
}
