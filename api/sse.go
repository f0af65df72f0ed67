package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// streamPage is how many queue changes one read of the feed returns.
const streamPage = 500

// Events of the queue stream. Every event carries an id: a position of the
// log. EventSource sends the last one back as Last-Event-ID when it
// reconnects, and the stream resumes after it.
const (
	// sseHello opens every stream; its id is where the stream starts.
	sseHello = "hello"
	// sseChange is one queue change (projections.QueueChange).
	sseChange = "change"
	// sseReset: the changes after the client's id are no longer kept (or the
	// queue was rebuilt); reload GET /queue and keep listening.
	sseReset = "reset"
)

// queueStream: GET /queue/stream (coordinator, admin; bearer token or
// ?ticket=) → Server-Sent Events of queue changes. Without Last-Event-ID
// (or ?last_event_id=) it starts at the queue's current position, so a
// client loads GET /queue first and passes its freshness.position to miss
// nothing. Idle streams get a comment every Heartbeat. The stream ends when
// the client goes, or when the server shuts down.
func (r *ReadRoutes) queueStream(s *Server) echo.HandlerFunc {
	return func(c echo.Context) error {
		after, resume, err := lastEventID(c)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(c.Request().Context())
		defer cancel()
		go func() {
			select {
			case <-s.ShuttingDown():
				cancel()
			case <-ctx.Done():
			}
		}()
		if !resume {
			ch, err := r.deps.Reader.QueueChangesAfter(ctx, math.MaxInt64, 1, r.cfg.Now())
			if err != nil {
				return readError(err)
			}
			after = ch.Freshness.Position
		}

		h := c.Response().Header()
		h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // proxies must not buffer the stream
		c.Response().WriteHeader(http.StatusOK)
		st := &sseWriter{w: c.Response()}
		st.event(sseHello, after, map[string]uint64{"position": after})
		if err := st.flush(); err != nil {
			return nil
		}
		for {
			changes, reset, fr, err := r.changesAfter(ctx, after)
			if err != nil {
				if ctx.Err() == nil {
					s.log.WarnContext(ctx, "queue stream: read the change feed", "request_id", RequestID(c), "error", err)
				}
				return nil
			}
			if reset {
				after = fr.Position
				st.event(sseReset, after, map[string]uint64{"position": after})
			}
			for i := range changes {
				after = changes[i].ID
				st.event(sseChange, after, &changes[i])
			}
			if err := st.flush(); err != nil {
				return nil // the client went away
			}
			if reset || len(changes) >= streamPage {
				continue
			}
			woke, err := r.waitForChange(ctx, eventstore.Position(max(after, fr.Position)+1))
			if err != nil {
				return nil // the client went away or the server is shutting down
			}
			if !woke {
				st.comment("heartbeat")
				if err := st.flush(); err != nil {
					return nil
				}
			}
		}
	}
}

// lastEventID reads where a reconnecting client stopped.
func lastEventID(c echo.Context) (uint64, bool, error) {
	v := c.Request().Header.Get("Last-Event-ID")
	if v == "" {
		v = c.QueryParam("last_event_id")
	}
	if v == "" {
		return 0, false, nil
	}
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%w: Last-Event-ID: expected an event id this stream sent, found %q", ErrMalformedRequest, v)
	}
	return id, true, nil
}

// waitForChange waits until the queue projection reaches pos (true) or a
// heartbeat is due (false); it fails when ctx ends.
func (r *ReadRoutes) waitForChange(ctx context.Context, pos eventstore.Position) (bool, error) {
	if r.deps.Waiter == nil {
		poll := time.NewTimer(min(r.cfg.PollInterval, r.cfg.Heartbeat))
		defer poll.Stop()
		select {
		case <-poll.C:
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	wctx, cancel := context.WithTimeout(ctx, r.cfg.Heartbeat)
	defer cancel()
	err := r.deps.Waiter.WaitFor(wctx, pos, projections.NameQueue)
	switch {
	case err == nil:
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		return false, nil
	}
	return false, err
}

// changesAfter returns the queue changes after the client's id, or reset
// when some of them are no longer kept. The id need not be a change: a
// hello's or a GET /queue's position is one too.
func (r *ReadRoutes) changesAfter(ctx context.Context, after uint64) ([]projections.QueueChange, bool, projections.Freshness, error) {
	ch, err := r.deps.Reader.QueueChangesAfter(ctx, after, streamPage, r.cfg.Now())
	return ch.Changes, ch.Reset, ch.Freshness, err
}

// sseWriter writes Server-Sent Events, remembering the first write error.
type sseWriter struct {
	w   *echo.Response
	err error
}

func (s *sseWriter) write(b []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(b)
	}
}

// event writes one event; data is JSON on one line, as SSE needs.
func (s *sseWriter) event(name string, id uint64, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		s.err = err
		return
	}
	s.write(fmt.Appendf(nil, "id: %d\nevent: %s\ndata: %s\n\n", id, name, b))
}

func (s *sseWriter) comment(text string) { s.write([]byte(": " + text + "\n\n")) }

func (s *sseWriter) flush() error {
	if s.err != nil {
		return s.err
	}
	if err := http.NewResponseController(s.w.Writer).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
