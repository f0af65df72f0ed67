package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/paidan/paidan/eventstore"
)

// Store is an eventstore.Store on an EventStoreDB node or cluster.
type Store struct {
	url string
	cfg Config

	mu     sync.Mutex
	client *esdb.Client
	closed bool
	subs   map[*subscription]struct{}
}

var _ eventstore.Store = (*Store)(nil)

// Open returns a Store for the connection string url (esdb://host:2113?tls=false,
// esdb+discover://… for a cluster; see docs/eventstoredb.md). It does no I/O:
// the first call connects, so a store can be opened while its server is down
// and starts working when the server is reachable. ctx is accepted for the
// port's convention and bounds nothing yet.
func Open(ctx context.Context, url string, cfg Config) (*Store, error) {
	_ = ctx
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if err := validateURL(url); err != nil {
		return nil, err
	}
	s := &Store{url: url, cfg: cfg, subs: map[*subscription]struct{}{}}
	c, err := s.newClient()
	if err != nil {
		return nil, err
	}
	s.client = c
	return s, nil
}

func (s *Store) newClient() (*esdb.Client, error) {
	conf, err := esdb.ParseConnectionString(s.url)
	if err != nil {
		return nil, fmt.Errorf("esdb: parse connection string %q: %w", redact(s.url), err)
	}
	conf.Logger = clientLogger(s.cfg.Logger)
	c, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: client for %q: %w", redact(s.url), err)
	}
	return c, nil
}

func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	if l == nil {
		return esdb.NoopLogging()
	}
	return func(level esdb.LogLevel, format string, args ...any) {
		lvl := slog.LevelDebug
		switch level {
		case esdb.LogWarn:
			lvl = slog.LevelWarn
		case esdb.LogError:
			lvl = slog.LevelError
		}
		l.Log(context.Background(), lvl, fmt.Sprintf(format, args...), slog.String("component", "esdb-client"))
	}
}

// current returns the client in use, or ErrClosed.
func (s *Store) current() (*esdb.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	return s.client, nil
}

// renew replaces a client that closed itself after a failed discovery
// (ESDB-PROTOCOL.md §1.2: every later call would fail with
// ErrorCodeConnectionClosed forever). Only the caller that saw the old client
// fail replaces it; the others find the new one.
func (s *Store) renew(old *esdb.Client) (*esdb.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	if s.client != old {
		return s.client, nil
	}
	c, err := s.newClient()
	if err != nil {
		return nil, err
	}
	_ = old.Close()
	s.client = c
	return c, nil
}

// do runs call on the current client and once more on a fresh client when
// the current one has closed itself. That retry is safe for every call: a
// closed client fails before sending anything.
func (s *Store) do(call func(c *esdb.Client) error) error {
	c, err := s.current()
	if err != nil {
		return err
	}
	err = call(c)
	if !isCode(err, esdb.ErrorCodeConnectionClosed) {
		return err
	}
	if c, err = s.renew(c); err != nil {
		return err
	}
	return call(c)
}

// Close closes the client and ends open subscriptions with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := s.subs
	s.subs = nil
	c := s.client
	s.mu.Unlock()
	for sub := range subs {
		sub.storeClosed.Store(true)
		_ = sub.inner.Close()
	}
	return c.Close()
}

func (s *Store) track(sub *subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	s.subs[sub] = struct{}{}
	return nil
}

func (s *Store) forget(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, sub)
}

func isCode(err error, code esdb.ErrorCode) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == code
}
