// Package storetest is the conformance suite of the eventstore port: every
// adapter (memstore, the embedded store, the EventStoreDB adapter against its
// in-process double and against a real server) runs TestStore from its own
// tests, so all of them keep one contract.
//
// Every assertion looks only at the test's own streams and event types, which
// carry a random per-test prefix, so the suite is safe on a store that also
// holds other tests' events or system events. Features lets an adapter declare
// the few places where the contract legitimately allows it to differ; the
// suite then asserts the stronger property only where it is promised.
package storetest

import (
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// Features declares what an adapter guarantees beyond the common contract.
type Features struct {
	// GaplessPositions: the global log numbers events 1, 2, 3… without gaps
	// (embedded, memstore). Without it the suite asserts only that positions
	// increase strictly (EventStoreDB).
	GaplessPositions bool

	// ExactAnyIdempotency: the store remembers every event ID of a stream, so
	// a retry under Any or StreamExists is recognised however long ago the
	// original append was. Without it (EventStoreDB keeps a bounded cache) the
	// suite retries Any/StreamExists appends only immediately.
	ExactAnyIdempotency bool

	// SharedLog: the store may hold events the test did not write (other
	// tests sharing a server, system events of a real EventStoreDB), so the
	// suite never asserts what the whole of $all contains, only where its own
	// events stand in it. Without it each store from newStore is fresh and
	// empty, and the suite also checks the whole log.
	SharedLog bool

	// WaitTimeout bounds every wait for a store call or a subscription
	// message, so a broken adapter fails instead of hanging the run. It is no
	// speed requirement. Optional; default 10s.
	WaitTimeout time.Duration

	// ClockSkew is how far an event's Created time may lie from the test's
	// clock around the append (a remote server's clock, or a store keeping
	// coarser timestamps). Optional; default 2s.
	ClockSkew time.Duration

	// ReportsWrote: AppendResult.Wrote is true for every append that
	// stored its events (embedded, memstore). Without it the suite checks
	// only that a retry or an empty append never reports it (EventStoreDB
	// cannot tell a retry from a first write).
	ReportsWrote bool
}

func (f *Features) setDefaults() {
	if f.WaitTimeout <= 0 {
		f.WaitTimeout = 10 * time.Second
	}
	if f.ClockSkew <= 0 {
		f.ClockSkew = 2 * time.Second
	}
}

// TestStore runs the conformance suite. newStore is called once per test
// (Group/Test, e.g. "Idempotency/Matrix") with that test's t and must return a
// ready store that the test may use concurrently and may Close itself (the
// constructor's own cleanup must therefore tolerate a store already closed).
// Tests run in parallel; the table cases nested in one test share its store
// and assert nothing about the whole log. Without SharedLog every call must
// return a fresh, empty store.
//
// Every wait is bounded by Features.WaitTimeout, so a hanging adapter fails
// the test that hangs. Payloads stay small except in Events/LargeEvent
// (512 KiB) and Subscribe/NeverBlocksAppends (10,000 events).
func TestStore(t *testing.T, newStore func(t *testing.T) eventstore.Store, features Features) {
	features.setDefaults()
	for _, group := range []struct {
		name  string
		tests []suiteTest
	}{
		{"Expected", expectedTests},
		{"Idempotency", idempotencyTests},
		{"EmptyAppend", emptyAppendTests},
		{"Events", eventTests},
		{"Validation", validationTests},
		{"ReadStream", readStreamTests},
		{"ReadAll", readAllTests},
		{"Subscribe", subscribeTests},
		{"Filter", filterTests},
		{"SubscriptionEnd", subscriptionEndTests},
		{"Concurrency", concurrencyTests},
		{"Lifecycle", lifecycleTests},
	} {
		t.Run(group.name, func(t *testing.T) {
			for _, tc := range group.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(newHarness(t, newStore(t), features))
				})
			}
		})
	}
}

// suiteTest is one conformance test; run gets a harness on a store of its own
// (or a shared one, see SharedLog) and a unique stream prefix.
type suiteTest struct {
	name string
	run  func(h *harness)
}
