package projections

import (
	"errors"
	"fmt"
)

// ErrNotFound: a query for one row found none.
var ErrNotFound = errors.New("not found in the read model")

// ErrOrphanEvent: an event refers to an order or team the projection has no
// row for (its creating event is missing or was parked). The event is parked.
var ErrOrphanEvent = errors.New("event refers to an unknown order or team")

func errOrphan(ev *Event, id string) error {
	return fmt.Errorf("%w: %s at position %d refers to %s, expected its creating event first", ErrOrphanEvent, ev.Type, ev.Position, id)
}
