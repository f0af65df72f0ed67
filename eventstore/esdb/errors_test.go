package esdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/esdb"
	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

func ev(typ string, data string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(data)}
}

// TestErrorsTranslate: each client error the adapter can meet becomes the
// port's error, found with errors.Is.
func TestErrorsTranslate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) error
		want error
	}{
		{"tombstoned append", func(t *testing.T) error {
			srv := startServer(t, esdbtest.Config{})
			tombstone(t, srv, "order-gone")
			_, err := openStore(t, srv.URL()).Append(bounded(t), "order-gone", eventstore.Any(), ev("Late", `{}`))
			return err
		}, eventstore.ErrStreamDeleted},
		{"tombstoned read", func(t *testing.T) error {
			srv := startServer(t, esdbtest.Config{})
			tombstone(t, srv, "order-gone")
			_, err := openStore(t, srv.URL()).ReadStream(bounded(t), "order-gone", eventstore.ReadStreamOptions{Limit: 1})
			return err
		}, eventstore.ErrStreamDeleted},
		{"missing stream", func(t *testing.T) error {
			srv := startServer(t, esdbtest.Config{})
			_, err := openStore(t, srv.URL()).ReadStream(bounded(t), "order-none", eventstore.ReadStreamOptions{Limit: 1})
			return err
		}, eventstore.ErrStreamNotFound},
		{"deadline", func(t *testing.T) error {
			srv := startServer(t, esdbtest.Config{})
			ctx, cancel := context.WithTimeout(context.Background(), 0)
			defer cancel()
			_, err := openStore(t, srv.URL()).Append(ctx, "order-late", eventstore.Any(), ev("Late", `{}`))
			return err
		}, context.DeadlineExceeded},
		{"client deadline", func(t *testing.T) error {
			// The client's own deadline (defaultDeadline, ms) expires while
			// the server works; the caller's context is still live.
			srv := startServer(t, esdbtest.Config{AppendLatency: 2 * time.Second})
			_, err := openStore(t, srv.URL()+"&defaultDeadline=100").Append(bounded(t), "order-slow", eventstore.Any(), ev("Slow", `{}`))
			return err
		}, context.DeadlineExceeded},
		{"nobody listening", func(t *testing.T) error {
			srv := startServer(t, esdbtest.Config{})
			srv.Close()
			_, err := openStore(t, faultURL(srv)).Append(bounded(t), "order-x", eventstore.Any(), ev("Lost", `{}`))
			return err
		}, eventstore.ErrUnavailable},
		{"append over the server's MaxAppendSize", func(t *testing.T) error {
			srv := startServer(t, esdbtest.Config{MaxAppendSize: 1000})
			_, err := openStore(t, srv.URL()).Append(bounded(t), "order-big", eventstore.Any(),
				ev("Big", `"`+strings.Repeat("x", 2000)+`"`))
			return err
		}, eventstore.ErrEventTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			if !errors.Is(err, tc.want) {
				t.Fatalf("expected an error wrapping %q, found %v", tc.want, err)
			}
		})
	}
}

// TestAppendOverMaxAppendSizeIsRefusedLocally: an append above the
// configured MaxAppendSize, counted as the server counts it, never reaches
// the server.
func TestAppendOverMaxAppendSizeIsRefusedLocally(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	store, err := esdb.Open(context.Background(), srv.URL(), esdb.Config{MaxAppendSize: 1000})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	// 2 × (400 + 2 × 3) = 812 bytes fit; three such events do not.
	small := func() eventstore.EventData { return ev("Big", `"`+strings.Repeat("x", 398)+`"`) }
	if _, err := store.Append(bounded(t), "order-fits", eventstore.Any(), small(), small()); err != nil {
		t.Fatalf("expected 812 bytes to fit in 1000, found %v", err)
	}
	served := srv.Served()
	_, err = store.Append(bounded(t), "order-big", eventstore.Any(), small(), small(), small())
	if !errors.Is(err, eventstore.ErrEventTooLarge) {
		t.Fatalf("expected ErrEventTooLarge, found %v", err)
	}
	if srv.Served() != served {
		t.Fatal("expected the oversized append not to reach the server")
	}
}

// TestNotLeader: a follower's "not leader" is ErrNotLeader, and the next
// call reaches the leader it named.
func TestNotLeader(t *testing.T) {
	t.Parallel()
	follower := startServer(t, esdbtest.Config{})
	leader := startServer(t, esdbtest.Config{})
	follower.SetNotLeader(leader.Host(), leader.Port())
	store := openStore(t, follower.URL())
	_, err := store.Append(bounded(t), "order-1", eventstore.NoStream(), ev("Placed", `{}`))
	if !errors.Is(err, eventstore.ErrNotLeader) {
		t.Fatalf("expected ErrNotLeader, found %v", err)
	}
	if _, err := store.Append(bounded(t), "order-1", eventstore.NoStream(), ev("Placed", `{}`)); err != nil {
		t.Fatalf("expected the retry to reach the leader, found %v", err)
	}
	if n := follower.Served(); n != 0 {
		t.Fatalf("expected the follower to serve nothing, it served %d calls", n)
	}
	evs, err := openStore(t, leader.URL()).ReadStream(bounded(t), "order-1", eventstore.ReadStreamOptions{Limit: 10})
	if err != nil || len(evs) != 1 {
		t.Fatalf("expected the leader to hold 1 event, found %d (err %v)", len(evs), err)
	}
}

// TestRecoversAfterClientClosedItself: calls made while the server is down
// make the client give up discovery and close itself for good (§1.2); the
// store replaces it, keeps answering ErrUnavailable, and works once the
// server listens.
func TestRecoversAfterClientClosedItself(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	srv.Stop()
	store := openStore(t, faultURL(srv))
	for i := range 3 {
		_, err := store.Append(bounded(t), "order-1", eventstore.Any(), ev("Placed", `{}`))
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("call %d during the outage: expected ErrUnavailable, found %v", i, err)
		}
	}
	if err := srv.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	res, err := store.Append(bounded(t), "order-1", eventstore.NoStream(), ev("Placed", `{}`))
	if err != nil || res.NextRevision != 1 {
		t.Fatalf("expected the store to recover (next revision 1), found %+v, %v", res, err)
	}
}

// TestClusterDiscovery: an esdb+discover:// connection string goes through
// gossip to the leader it reports.
func TestClusterDiscovery(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	store := openStore(t, "esdb+discover://"+srv.Addr()+"?tls=false")
	if _, err := store.Append(bounded(t), "order-1", eventstore.NoStream(), ev("Placed", `{}`)); err != nil {
		t.Fatalf("append through discovery: %v", err)
	}
}

// TestOpenRefusesBadSettings: Open checks the scheme and the Config.
func TestOpenRefusesBadSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  string
		cfg  esdb.Config
		want string
	}{
		{"scheme", "postgres://127.0.0.1:2113", esdb.Config{}, "expected a connection string esdb://"},
		{"read page", "esdb://127.0.0.1:2113?tls=false", esdb.Config{ReadPage: -1}, "ReadPage must not be negative"},
		{"max append size", "esdb://127.0.0.1:2113?tls=false", esdb.Config{MaxAppendSize: -1}, "MaxAppendSize must not be negative"},
		{"password hidden", "http://admin:secret@127.0.0.1:2113", esdb.Config{}, "admin:***@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := esdb.Open(context.Background(), tc.url, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("expected an error containing %q, found %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// tombstone hard-deletes a stream with the client directly: the port has no
// delete, but a stream deleted by an operator must still read as deleted.
func tombstone(t *testing.T, srv *esdbtest.Server, stream string) {
	t.Helper()
	if _, err := rawClient(t, srv).TombstoneStream(bounded(t), stream, client.TombstoneStreamOptions{}); err != nil {
		t.Fatalf("tombstone %s: %v", stream, err)
	}
}
