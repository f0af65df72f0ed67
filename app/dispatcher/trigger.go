package dispatcher

import (
	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// trigger is the event a reaction answers, as the commands it issues name it.
type trigger struct {
	id          string // the event's id: causation id and idempotency key
	correlation string // the event's correlation id, carried on
}

func newTrigger(ev eventstore.RecordedEvent) trigger {
	t := trigger{id: uuid.UUID(ev.ID).String()}
	if m, err := domain.ParseMetadata(ev.Metadata); err == nil {
		t.correlation = m.CorrelationID
	}
	return t
}

// envelope makes the commands' ids derive from the trigger: the app derives
// event ids from the idempotency key, the actor, the command and the stream,
// so the same trigger always proposes the same events and a redelivery is
// absorbed by the store.
func (t trigger) envelope() app.Envelope {
	return app.Envelope{Actor: Actor, CorrelationID: t.correlation, CausationID: t.id, IdempotencyKey: "trigger-" + t.id}
}
