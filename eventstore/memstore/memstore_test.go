package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/eventstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) eventstore.Store {
		s, err := memstore.New(memstore.Config{})
		if err != nil {
			t.Fatalf("memstore.New: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}, storetest.Features{GaplessPositions: true, ExactAnyIdempotency: true, ReportsWrote: true})
}

// TestClock: Created comes from Config.Clock, stored in UTC, so application
// tests can pin event times.
func TestClock(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	s, err := memstore.New(memstore.Config{Clock: func() time.Time { return at }})
	if err != nil {
		t.Fatalf("memstore.New: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, "order-1", eventstore.NoStream(), eventstore.EventData{Type: "OrderPlaced"}); err != nil {
		t.Fatalf("Append: %v", err)
	}
	evs, err := s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Limit: 1})
	if err != nil {
		t.Fatalf("ReadStream: %v", err)
	}
	if got := evs[0].Created; !got.Equal(at) || got.Location() != time.UTC {
		t.Fatalf("Created = %v, want %v in UTC", got, at.UTC())
	}
}
