package esdb_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
	"github.com/paidan/paidan/eventstore/storetest"
)

// features are what the adapter promises on any EventStoreDB: positions
// increase with gaps, and idempotency under Any/StreamExists rests on the
// server's bounded cache of recent event IDs.
var features = storetest.Features{
	GaplessPositions:    false,
	ExactAnyIdempotency: false,
}

// TestConformanceOnTestServer runs the port's conformance suite against the
// adapter on the protocol test server: a fresh server (and so a fresh log)
// for every subtest.
func TestConformanceOnTestServer(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) eventstore.Store {
		srv := startServer(t, esdbtest.Config{})
		return openStore(t, srv.URL())
	}, features)
}

// TestConformanceOnEventStoreDB runs the same suite against a real server
// named by PAIDAN_TEST_ESDB_URL (for example
// esdb://127.0.0.1:2113?tls=false for a node started with --insecure). The
// subtests share its log.
func TestConformanceOnEventStoreDB(t *testing.T) {
	url := os.Getenv("PAIDAN_TEST_ESDB_URL")
	if url == "" {
		t.Skip("PAIDAN_TEST_ESDB_URL is not set: no real EventStoreDB to run the conformance suite against")
	}
	f := features
	f.SharedLog = true
	f.ClockSkew = 5 * time.Second
	storetest.TestStore(t, func(t *testing.T) eventstore.Store { return openStore(t, url) }, f)
}

func startServer(t *testing.T, cfg esdbtest.Config) *esdbtest.Server {
	t.Helper()
	srv, err := esdbtest.Start(cfg)
	if err != nil {
		t.Fatalf("start test server: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func openStore(t *testing.T, url string) *esdb.Store {
	t.Helper()
	s, err := esdb.Open(context.Background(), url, esdb.Config{})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
