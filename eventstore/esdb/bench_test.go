package esdb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// The benchmarks measure the adapter and the client over loopback gRPC
// against the in-process test server, not EventStoreDB: they show the
// client-side cost of a call, nothing about a real server's throughput.

func benchStore(b *testing.B) *esdb.Store {
	srv, err := esdbtest.Start(esdbtest.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	s, err := esdb.Open(context.Background(), srv.URL(), esdb.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkAppend: one event to a new stream per operation, as a command
// placing an order does.
func BenchmarkAppend(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	data := []byte(`{"category":"errand","title":"取快递","station_id":"st-001"}`)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("order-%d", i), eventstore.NoStream(),
			eventstore.EventData{ID: uuid.New(), Type: "OrderPlaced", Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadStream: loading a 10-event order stream, as every command does.
func BenchmarkReadStream(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	evs := make([]eventstore.EventData, 10)
	for i := range evs {
		evs[i] = eventstore.EventData{ID: uuid.New(), Type: "OrderOffered", Data: []byte(`{"team_id":"t-1"}`)}
	}
	if _, err := s.Append(ctx, "order-1", eventstore.NoStream(), evs...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Limit: 100})
		if err != nil || len(got) != 10 {
			b.Fatalf("read %d events: %v", len(got), err)
		}
	}
}
