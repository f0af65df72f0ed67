package esdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore"
)

// Why this file exists. The v4.2.0 client serves every call's request for a
// connection on one goroutine, over an unbuffered channel, and that goroutine
// returns for good when discovery fails (ESDB-PROTOCOL.md §1.2). From then on:
//   - the client answers ErrorCodeConnectionClosed to new calls, forever;
//   - calls that were queued behind the failing discovery, or that report an
//     error afterwards (the client then asks that goroutine to reconnect),
//     block forever on the channel, whatever their context says;
//   - closing the client closes that channel, and every goroutine blocked on
//     it panics ("send on closed channel").
// So the Store gives up such a client and makes a new one, never closes a
// client while calls are in flight on it, and runs each call so that its
// caller can leave when its context ends or the client is given up.

// conn is one client and the calls in flight on it.
type conn struct {
	client *esdb.Client
	// calls counts calls and subscriptions using client; the client is
	// closed only when it drops to zero after retirement.
	calls sync.WaitGroup
	// retired is closed when the Store stops handing out this client.
	retired chan struct{}
	once    sync.Once
}

func newConn(c *esdb.Client) *conn {
	return &conn{client: c, retired: make(chan struct{})}
}

// errRetired: the client was given up while a call waited on it.
var errRetired = errors.New("the EventStoreDB client was replaced while the call waited for a connection")

// acquire returns the current conn with one more call counted on it. The
// count is taken under the Store's lock so that it never races with the
// retirement that waits for it.
func (s *Store) acquire() (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	s.conn.calls.Add(1)
	return s.conn, nil
}

// retireLocked stops handing out cn, releases callers waiting on it, and
// closes its client once every call on it has returned. A call blocked for
// good inside the client never returns; its client is then never closed,
// which leaks that client's resources rather than crashing the process.
func (s *Store) retireLocked(cn *conn) {
	cn.once.Do(func() {
		close(cn.retired)
		go func() {
			cn.calls.Wait()
			_ = cn.client.Close()
		}()
	})
}

// replace gives up cn, if it is still current, for a new client.
func (s *Store) replace(cn *conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	if s.conn != cn {
		return nil
	}
	c, err := s.newClient()
	if err != nil {
		return err
	}
	s.retireLocked(cn)
	s.conn = newConn(c)
	return nil
}

// do runs call on the current client. The caller leaves when call returns,
// when ctx ends, or when the client is given up; call is then left to finish
// on its own and its results must not be used. A client found closed for
// good is replaced, and a call it refused (which therefore never reached the
// server) runs once more on the new one.
func (s *Store) do(ctx context.Context, call func(c *esdb.Client) error) error {
	return s.run(ctx, func(cn *conn) error { return call(cn.client) })
}

// run is do for calls that need the conn itself (to hold it longer).
func (s *Store) run(ctx context.Context, call func(cn *conn) error) error {
	for attempt := 0; ; attempt++ {
		cn, err := s.acquire()
		if err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() {
			defer cn.calls.Done()
			done <- call(cn)
		}()
		select {
		case err = <-done:
		case <-ctx.Done():
			err = ctx.Err()
		case <-cn.retired:
			err = s.retiredError()
		}
		if closedForGood(err) {
			if rerr := s.replace(cn); rerr != nil {
				return rerr
			}
			if attempt == 0 && isCode(err, esdb.ErrorCodeConnectionClosed) {
				continue
			}
		}
		return err
	}
}

// retiredError is what a call released by retirement reports: ErrClosed
// when the Store was closed, else an unavailable server.
func (s *Store) retiredError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	return fmt.Errorf("%w: %w", eventstore.ErrUnavailable, errRetired)
}

// closedForGood reports errors after which the client serves nothing again:
// its own "connection closed", and the failed discovery that causes it (the
// client says so only in the message).
func closedForGood(err error) bool {
	if err == nil {
		return false
	}
	return isCode(err, esdb.ErrorCodeConnectionClosed) ||
		strings.Contains(err.Error(), "maximum discovery attempt count reached")
}

func isCode(err error, code esdb.ErrorCode) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == code
}
