package dispatcher

import (
	"context"
	"errors"
	"fmt"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

const readPage = 512

// loadOrder reads an order's stream, and reports whether any of its events
// was caused by the trigger (the trigger was handled before). An order that
// does not exist loads as nil.
//
// Through a Commander that is a StreamViewer the order comes from the write
// side's cache of streams, confirmed against the store: only what the cache
// lacks is read, and nothing is decoded twice. It is confirmed, not taken
// from the cache as it is, because both answers that matter here rest on
// it: "handled" and "no longer placed" lead to doing nothing, and "not
// handled" to a command that no later check would stop if another process
// had handled the trigger differently (escalated it, say) since the cache
// was filled.
func (d *Dispatcher) loadOrder(ctx context.Context, stream string, t trigger) (*domain.Order, bool, error) {
	v, ok := d.cmds.(StreamViewer)
	if !ok {
		return d.readOrder(ctx, stream, t)
	}
	view, err := v.ViewStream(ctx, stream)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", stream, err)
	}
	return orderOf(stream, view, t)
}

// orderOf rehydrates the order of a view and reports whether the trigger
// caused any of its events.
func orderOf(stream string, view app.StreamView, t trigger) (*domain.Order, bool, error) {
	events := view.Events()
	if len(events) == 0 {
		return nil, false, nil
	}
	o, err := domain.RehydrateOrder(events)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", stream, err)
	}
	return o, view.CausedBy(t.id, Actor), nil
}

// readOrder reads an order's stream from the store, for a Commander that
// keeps no streams.
func (d *Dispatcher) readOrder(ctx context.Context, stream string, t trigger) (*domain.Order, bool, error) {
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
