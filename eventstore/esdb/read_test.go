package esdb_test

import (
	"context"
	"slices"
	"testing"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// TestReadAllSkipsSystemEventsAcrossPages: ReadAll pages through the log
// (here one event per request) and skips system events between the user's
// events — metadata, a tombstone, the server's own — counting only what it
// returns, in both directions.
func TestReadAllSkipsSystemEventsAcrossPages(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	raw := rawClient(t, srv)
	store, err := esdb.Open(context.Background(), srv.URL(), esdb.Config{ReadPage: 1})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	var meta client.StreamMetadata
	meta.SetMaxCount(10)
	for _, name := range []string{"order-a", "order-b", "order-c"} {
		appendRange(t, store, name, 0, 1)
		if _, err := raw.SetStreamMetadata(bounded(t), name, client.AppendToStreamOptions{}, meta); err != nil {
			t.Fatalf("set metadata: %v", err)
		}
		if _, err := raw.TombstoneStream(bounded(t), name+"-gone", client.TombstoneStreamOptions{}); err != nil {
			t.Fatalf("tombstone: %v", err)
		}
	}
	for _, tc := range []struct {
		name string
		opts eventstore.ReadAllOptions
		want []string
	}{
		{"forwards", eventstore.ReadAllOptions{Limit: 10}, []string{"order-a", "order-b", "order-c"}},
		{"forwards limit 2", eventstore.ReadAllOptions{Limit: 2}, []string{"order-a", "order-b"}},
		{"backwards", eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 10},
			[]string{"order-c", "order-b", "order-a"}},
		{"backwards limit 2", eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 2},
			[]string{"order-c", "order-b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := store.ReadAll(bounded(t), tc.opts)
			if err != nil {
				t.Fatalf("read all: %v", err)
			}
			var got []string
			for _, ev := range evs {
				got = append(got, ev.StreamID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("expected %v, found %v", tc.want, got)
			}
		})
	}
}

func rawClient(t *testing.T, srv *esdbtest.Server) *client.Client {
	t.Helper()
	conf, err := client.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	conf.Logger = client.NoopLogging()
	c, err := client.NewClient(conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
