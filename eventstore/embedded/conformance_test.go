package embedded_test

import (
	"path/filepath"
	"testing"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/eventstore/storetest"
)

// TestConformance runs the port's conformance suite against a fresh store
// file per subtest: once with the defaults, and once with buffers so small
// that subscriptions keep falling back from the in-memory ring to the file
// and group commits split, so both paths are held to the same contract.
func TestConformance(t *testing.T) {
	features := storetest.Features{GaplessPositions: true, ExactAnyIdempotency: true, ReportsWrote: true}
	for _, tc := range []struct {
		name string
		cfg  embedded.Config
	}{
		{"Defaults", embedded.Config{}},
		{"SmallBuffers", embedded.Config{MaxBatchEvents: 3, RingEvents: 4, RingBytes: 4 << 10, SubscriptionPage: 5, ReadConns: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.TestStore(t, func(t *testing.T) eventstore.Store {
				s, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), tc.cfg)
				if err != nil {
					t.Fatalf("embedded.Open: %v", err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			}, features)
		})
	}
}
