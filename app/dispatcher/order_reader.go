package dispatcher

import (
	"context"
	"errors"
	"fmt"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

const readPage = 512

// loadOrder reads an order's stream, and reports whether any of its events
// was caused by the trigger (the trigger was handled before). An order that
// does not exist loads as nil.
func (d *Dispatcher) loadOrder(ctx context.Context, stream string, t trigger) (*domain.Order, bool, error) {
	var (
		history []domain.Event
		handled bool
		from    = eventstore.StreamStart
	)
	for {
		page, err := d.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: readPage})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", stream, err)
		}
		for _, rec := range page {
			e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
			if err != nil {
				return nil, false, fmt.Errorf("%s, revision %d: %w", stream, rec.Revision, err)
			}
			history = append(history, e)
			if !handled && causedBy(rec, t) {
				handled = true
			}
		}
		if len(page) < readPage {
			break
		}
		from = page[len(page)-1].Revision + 1
	}
	if len(history) == 0 {
		return nil, false, nil
	}
	o, err := domain.RehydrateOrder(history)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", stream, err)
	}
	return o, handled, nil
}

// causedBy reports whether the dispatcher wrote rec in answer to t.
func causedBy(rec eventstore.RecordedEvent, t trigger) bool {
	m, err := domain.ParseMetadata(rec.Metadata)
	return err == nil && m.CausationID == t.id && m.ActorRole == Actor.Role && m.ActorSubject == Actor.Subject
}
