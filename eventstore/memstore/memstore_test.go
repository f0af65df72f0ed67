package memstore_test

import (
	"testing"

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
	}, storetest.Features{GaplessPositions: true, ExactAnyIdempotency: true})
}
