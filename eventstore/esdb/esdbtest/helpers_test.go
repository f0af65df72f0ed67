package esdbtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// wait bounds every wait for the server, so a broken server fails a test
// instead of hanging it; it is no speed requirement.
const wait = 10 * time.Second

func startServer(t *testing.T, cfg esdbtest.Config) *esdbtest.Server {
	t.Helper()
	srv, err := esdbtest.Start(cfg)
	if err != nil {
		t.Fatalf("start test server: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, url string) *esdb.Client {
	t.Helper()
	conf, err := esdb.ParseConnectionString(url)
	if err != nil {
		t.Fatalf("parse %q: %v", url, err)
	}
	conf.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(conf)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// setup starts a default server and a client for it.
func setup(t *testing.T) (*esdbtest.Server, *esdb.Client) {
	t.Helper()
	srv := startServer(t, esdbtest.Config{})
	return srv, newClient(t, srv.URL())
}

var streamSeq atomic.Int64

func streamName(t *testing.T) string {
	return fmt.Sprintf("test-%d-%s", streamSeq.Add(1), uuid.NewString()[:8])
}

func event(typ string) esdb.EventData {
	return esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson, Data: []byte(`{"n":1}`)}
}

func events(n int) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = event(fmt.Sprintf("Happened%d", i))
	}
	return out
}

func appendOK(t *testing.T, c *esdb.Client, stream string, exp esdb.ExpectedRevision, evs ...esdb.EventData) *esdb.WriteResult {
	t.Helper()
	res, err := c.AppendToStream(ctx(t), stream, esdb.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
	if err != nil {
		t.Fatalf("append %d events to %s with %T: %v", len(evs), stream, exp, err)
	}
	return res
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return c
}

// codeOf is the client error code found with errors.As, which also sees
// through the client's own fmt.Errorf wrapping (§5).
func codeOf(t *testing.T, err error) esdb.ErrorCode {
	t.Helper()
	var e *esdb.Error
	if !errors.As(err, &e) {
		t.Fatalf("expected an *esdb.Error in the chain, found %T: %v", err, err)
	}
	return e.Code()
}

func wantCode(t *testing.T, err error, want esdb.ErrorCode) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected error code %d, found no error", want)
	}
	if got := codeOf(t, err); got != want {
		t.Fatalf("expected error code %d, found %d: %v", want, got, err)
	}
}

// readStream reads to the end and returns the events and the error that ended
// the read (nil for a clean io.EOF).
func readStream(t *testing.T, c *esdb.Client, stream string, opts esdb.ReadStreamOptions, count uint64) ([]*esdb.RecordedEvent, error) {
	t.Helper()
	rs, err := c.ReadStream(ctx(t), stream, opts, count)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	return drain(rs)
}

func readAll(t *testing.T, c *esdb.Client, opts esdb.ReadAllOptions, count uint64) []*esdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadAll(ctx(t), opts, count)
	if err != nil {
		t.Fatalf("read $all: %v", err)
	}
	defer rs.Close()
	evs, err := drain(rs)
	if err != nil {
		t.Fatalf("read $all: %v", err)
	}
	return evs
}

func drain(rs *esdb.ReadStream) ([]*esdb.RecordedEvent, error) {
	var out []*esdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

// userEvents drops the events of system streams, which a real database
// always has.
func userEvents(evs []*esdb.RecordedEvent) []*esdb.RecordedEvent {
	var out []*esdb.RecordedEvent
	for _, ev := range evs {
		if ev.StreamID == "" || ev.StreamID[0] != '$' {
			out = append(out, ev)
		}
	}
	return out
}

func of(evs []*esdb.RecordedEvent, stream string) []*esdb.RecordedEvent {
	var out []*esdb.RecordedEvent
	for _, ev := range evs {
		if ev.StreamID == stream {
			out = append(out, ev)
		}
	}
	return out
}

func revisions(evs []*esdb.RecordedEvent) []uint64 {
	out := []uint64{}
	for _, ev := range evs {
		out = append(out, ev.EventNumber)
	}
	return out
}

// subReceiver reads a subscription on its own goroutine so tests can wait
// for the next message with a bound.
type subReceiver struct {
	sub *esdb.Subscription
	ch  chan *esdb.SubscriptionEvent
}

func receive(t *testing.T, sub *esdb.Subscription) *subReceiver {
	r := &subReceiver{sub: sub, ch: make(chan *esdb.SubscriptionEvent, 1024)}
	go func() {
		for {
			ev := sub.Recv()
			r.ch <- ev
			if ev.SubscriptionDropped != nil {
				close(r.ch)
				return
			}
		}
	}()
	t.Cleanup(func() { _ = sub.Close() })
	return r
}

func (r *subReceiver) next(t *testing.T) *esdb.SubscriptionEvent {
	t.Helper()
	select {
	case ev, ok := <-r.ch:
		if !ok {
			t.Fatal("subscription already dropped")
		}
		return ev
	case <-time.After(wait):
		t.Fatalf("no subscription message within %s", wait)
		return nil
	}
}

// nextEvent skips checkpoints and caught-up messages.
func (r *subReceiver) nextEvent(t *testing.T) *esdb.RecordedEvent {
	t.Helper()
	for {
		ev := r.next(t)
		switch {
		case ev.EventAppeared != nil:
			return ev.EventAppeared.OriginalEvent()
		case ev.SubscriptionDropped != nil:
			t.Fatalf("expected an event, the subscription dropped: %v", ev.SubscriptionDropped.Error)
		}
	}
}

func (r *subReceiver) wantCaughtUp(t *testing.T) {
	t.Helper()
	ev := r.next(t)
	if ev.CaughtUp == nil {
		t.Fatalf("expected caught-up, found %s", describe(ev))
	}
}

func describe(ev *esdb.SubscriptionEvent) string {
	switch {
	case ev.EventAppeared != nil:
		e := ev.EventAppeared.OriginalEvent()
		return fmt.Sprintf("event %s@%d", e.StreamID, e.EventNumber)
	case ev.CheckPointReached != nil:
		return fmt.Sprintf("checkpoint %d", ev.CheckPointReached.Commit)
	case ev.CaughtUp != nil:
		return "caught-up"
	case ev.FellBehind != nil:
		return "fell-behind"
	case ev.SubscriptionDropped != nil:
		return fmt.Sprintf("dropped: %v", ev.SubscriptionDropped.Error)
	}
	return "empty message"
}
