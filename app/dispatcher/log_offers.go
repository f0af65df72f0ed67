package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// LogOffers is a DueOffers and TeamOffers that folds the global log itself:
// the pending offer of every order. Each call first reads what was committed
// since the previous call, so it is always current; the first call reads the
// whole log, which is how a restart recovers every timer without a read
// model. The projections' offers model replaces it in production.
type LogOffers struct {
	store eventstore.Store

	mu      sync.Mutex
	last    eventstore.Position // position of the last event folded
	pending map[uuid.UUID]PendingOffer
}

var (
	_ DueOffers  = (*LogOffers)(nil)
	_ TeamOffers = (*LogOffers)(nil)
)

// NewLogOffers returns pending offers read from the store's global log.
func NewLogOffers(store eventstore.Store) (*LogOffers, error) {
	if store == nil {
		return nil, errors.New("log offers: store: required")
	}
	return &LogOffers{store: store, pending: map[uuid.UUID]PendingOffer{}}, nil
}

// DueOffers lists pending offers due at now, earliest first (ties by order id).
func (s *LogOffers) DueOffers(ctx context.Context, now time.Time, limit int) ([]PendingOffer, error) {
	return s.list(ctx, limit, func(p PendingOffer) bool { return !p.ExpiresAt.After(now) })
}

// TeamOffers lists the team's pending offers, earliest expiry first. It is
// always current, so upTo needs no waiting.
func (s *LogOffers) TeamOffers(ctx context.Context, teamID string, _ eventstore.Position) ([]PendingOffer, error) {
	return s.list(ctx, 0, func(p PendingOffer) bool { return p.TeamID == teamID })
}

// list returns the pending offers keep accepts, at most limit (0: all).
func (s *LogOffers) list(ctx context.Context, limit int, keep func(PendingOffer) bool) ([]PendingOffer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	var out []PendingOffer
	for _, p := range s.pending {
		if keep(p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ExpiresAt.Equal(out[j].ExpiresAt) {
			return out[i].ExpiresAt.Before(out[j].ExpiresAt)
		}
		return out[i].OrderID.String() < out[j].OrderID.String()
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// catchUp folds the events after s.last. Reads start at s.last itself (a
// position the store gave, never a computed one) and skip it.
func (s *LogOffers) catchUp(ctx context.Context) error {
	for {
		page, err := s.store.ReadAll(ctx, eventstore.ReadAllOptions{From: s.last, Limit: readPage})
		if err != nil {
			return fmt.Errorf("log offers: read the global log from %d: %w", s.last, err)
		}
		fresh := 0
		for _, rec := range page {
			if s.last != eventstore.Start && rec.Position <= s.last {
				continue
			}
			fresh++
			if err := s.fold(rec); err != nil {
				return err
			}
			s.last = rec.Position
		}
		if len(page) < readPage || fresh == 0 {
			return nil
		}
	}
}

var offerEventTypes = map[string]bool{
	domain.EventTypeOrderOffered: true, domain.EventTypeOfferAccepted: true,
	domain.EventTypeOfferDeclined: true, domain.EventTypeOfferExpired: true,
	domain.EventTypeOfferWithdrawn: true, domain.EventTypeOrderCancelled: true,
}

func (s *LogOffers) fold(rec eventstore.RecordedEvent) error {
	if !offerEventTypes[rec.Type] {
		return nil
	}
	e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
	if err != nil {
		return fmt.Errorf("log offers: %s at position %d: %w", rec.StreamID, rec.Position, err)
	}
	switch e := e.(type) {
	case domain.OrderOffered:
		s.pending[e.OrderID] = PendingOffer{OrderID: e.OrderID, OfferID: e.OfferID, TeamID: e.TeamID, ExpiresAt: e.ExpiresAt}
	case domain.OfferAccepted:
		s.answered(e.OrderID, e.OfferID)
	case domain.OfferDeclined:
		s.answered(e.OrderID, e.OfferID)
	case domain.OfferExpired:
		s.answered(e.OrderID, e.OfferID)
	case domain.OfferWithdrawn:
		s.answered(e.OrderID, e.OfferID)
	case domain.OrderCancelled:
		delete(s.pending, e.OrderID)
	}
	return nil
}

func (s *LogOffers) answered(order, offer uuid.UUID) {
	if p, ok := s.pending[order]; ok && p.OfferID == offer {
		delete(s.pending, order)
	}
}
