package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

// sseEvent is one Server-Sent Event, or a comment (Comment set).
type sseEvent struct {
	ID, Event, Data, Comment string
}

type sseClient struct {
	t    *testing.T
	resp *http.Response
	r    *bufio.Reader
	stop context.CancelFunc
}

// openStream opens the queue stream at url with the given headers; the
// context's deadline only keeps a broken stream from hanging the test.
func openStream(t *testing.T, url string, header map[string]string) (*sseClient, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	rq, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		rq.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(rq)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, resp
	}
	c := &sseClient{t: t, resp: resp, r: bufio.NewReader(resp.Body), stop: cancel}
	t.Cleanup(c.close)
	return c, resp
}

func (c *sseClient) close() { c.stop(); c.resp.Body.Close() }

// next reads the next event or comment.
func (c *sseClient) next() (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev != (sseEvent{}) {
				return ev, nil
			}
		case strings.HasPrefix(line, ":"):
			return sseEvent{Comment: strings.TrimSpace(line[1:])}, nil
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.Data = line[6:]
		}
	}
}

// nextEvent skips comments and returns the next event, which must be named name.
func (c *sseClient) nextEvent(name string) sseEvent {
	c.t.Helper()
	for {
		ev, err := c.next()
		if err != nil {
			c.t.Fatalf("waiting for a %s event: %v", name, err)
		}
		if ev.Comment != "" {
			continue
		}
		if ev.Event != name {
			c.t.Fatalf("event %+v, want a %s event", ev, name)
		}
		return ev
	}
}

func (h *readHarness) bearer(a domain.Actor) map[string]string {
	return map[string]string{"Authorization": "Bearer " + h.token(a)}
}

// TestQueueStream: a command shows up as a change; a client that reconnects
// with Last-Event-ID gets what it missed and nothing twice; idle streams get
// heartbeats.
func TestQueueStream(t *testing.T) {
	h := newReadHarness(t, readOptions{cfg: api.ReadConfig{Heartbeat: 20 * time.Millisecond}})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close) // before the streams' cleanups, so they close first
	url := ts.URL + api.APIPrefix + "/queue/stream"

	s, resp := openStream(t, url, h.bearer(coordinator))
	if s == nil {
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	hello := s.nextEvent("hello")
	if hello.ID != "0" {
		t.Fatalf("hello id %q, want 0 on an empty log", hello.ID)
	}
	for {
		ev, err := s.next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Comment == "heartbeat" {
			break
		}
		t.Fatalf("idle stream sent %+v, want a heartbeat", ev)
	}

	first := h.placeOrder(residentA)
	ev := s.nextEvent("change")
	var ch projections.QueueChange
	if err := json.Unmarshal([]byte(ev.Data), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.OrderID != first || ch.Op != "upsert" || ch.Row == nil || ch.Row.Status != "placed" || ev.ID != strconv.FormatUint(ch.ID, 10) ||
		ch.ID != uint64(h.head()) {
		t.Fatalf("change %+v (id %s), want %s placed at position %d", ch, ev.ID, first, h.head())
	}
	s.close()

	second := h.placeOrder(residentA)
	h.post(residentA, orderPath(first, "cancel"), `{"reason":"不需要了"}`, http.StatusOK)
	s2, resp := openStream(t, url, map[string]string{"Authorization": "Bearer " + h.token(admin), "Last-Event-ID": ev.ID})
	if s2 == nil {
		t.Fatalf("resume: status %d", resp.StatusCode)
	}
	if hello := s2.nextEvent("hello"); hello.ID != ev.ID {
		t.Fatalf("resumed hello id %q, want %s", hello.ID, ev.ID)
	}
	var got []projections.QueueChange
	for len(got) < 2 {
		var c projections.QueueChange
		json.Unmarshal([]byte(s2.nextEvent("change").Data), &c)
		got = append(got, c)
	}
	if got[0].OrderID != second || got[0].Op != "upsert" || got[1].OrderID != first || got[1].Op != "delete" {
		t.Fatalf("resumed changes %+v, want %s placed then %s leaving the queue", got, second, first)
	}
}

// TestQueueStreamSignIn: bearer or a single-use, short-lived ticket; roles.
func TestQueueStreamSignIn(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close) // before the streams' cleanups, so they close first
	url := ts.URL + api.APIPrefix + "/queue/stream"
	ticket := func() string {
		out := h.post(coordinator, api.APIPrefix+"/queue/stream/ticket", "", http.StatusCreated)
		tk, _ := out["ticket"].(string)
		if tk == "" || out["url"] != api.APIPrefix+"/queue/stream?ticket="+tk {
			t.Fatalf("ticket answer %v", out)
		}
		return tk
	}

	tk := ticket()
	s, resp := openStream(t, url+"?ticket="+tk, nil)
	if s == nil {
		t.Fatalf("ticket: status %d", resp.StatusCode)
	}
	s.nextEvent("hello")
	s.close()

	expired := ticket()
	h.clock.Advance(61 * time.Second)
	for _, tc := range []struct {
		name   string
		query  string
		header map[string]string
		want   int
	}{
		{"used ticket", "?ticket=" + tk, nil, http.StatusUnauthorized},
		{"expired ticket", "?ticket=" + expired, nil, http.StatusUnauthorized},
		{"made-up ticket", "?ticket=abc", nil, http.StatusUnauthorized},
		{"nothing", "", nil, http.StatusUnauthorized},
		{"team token", "", h.bearer(member("team-x")), http.StatusForbidden},
		{"auditor token", "", h.bearer(auditor), http.StatusForbidden},
		{"bad Last-Event-ID", "", map[string]string{"Authorization": "Bearer " + h.token(coordinator), "Last-Event-ID": "x"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, resp := openStream(t, url+tc.query, tc.header)
			if s != nil {
				t.Fatal("stream opened, want a refusal")
			}
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// TestQueueStreamShutdown: graceful shutdown ends open streams, so it
// finishes cleanly instead of cutting them off at the timeout.
func TestQueueStreamShutdown(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(ctx, ln) }()
	s, resp := openStream(t, "http://"+ln.Addr().String()+api.APIPrefix+"/queue/stream", h.bearer(coordinator))
	if s == nil {
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	s.nextEvent("hello")
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v, want a clean shutdown", err)
	}
	for {
		ev, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("stream ended with %v, want EOF", err)
		}
		if ev.Event != "" {
			t.Fatalf("unexpected event %+v", ev)
		}
	}
}

// TestQueueStreamFromReadPosition: a client that loaded GET /queue and
// resumes from its freshness position — which need not be a queue change —
// gets the changes after it, not a reset.
func TestQueueStreamFromReadPosition(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close)
	h.placeOrder(residentA)
	h.registerTeam(h.station(0).ID, 1, "errand") // the head is now a team event
	var q queueRead
	h.getInto(coordinator, api.APIPrefix+"/queue", &q)
	if q.Freshness.Position != uint64(h.head()) || len(q.Rows) != 1 {
		t.Fatalf("queue %+v, want one row at the head %d", q, h.head())
	}
	from := strconv.FormatUint(q.Freshness.Position, 10)
	s, resp := openStream(t, ts.URL+api.APIPrefix+"/queue/stream?last_event_id="+from, h.bearer(coordinator))
	if s == nil {
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	s.nextEvent("hello")
	next := h.placeOrder(residentB)
	var c projections.QueueChange
	if err := json.Unmarshal([]byte(s.nextEvent("change").Data), &c); err != nil {
		t.Fatal(err)
	}
	if c.OrderID != next {
		t.Fatalf("change %+v, want %s", c, next)
	}
}
