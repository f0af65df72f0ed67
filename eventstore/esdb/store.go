package esdb

import (
	"context"
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
	conn   *conn
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
	s.conn = newConn(c)
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

// Close closes the client once its calls have returned and ends open
// subscriptions with ErrClosed. Calls still waiting return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.retireLocked(s.conn)
	s.mu.Unlock()
	for sub := range subs {
		sub.storeClosed.Store(true)
		_ = sub.inner.Close()
		sub.release()
	}
	return nil
}

// checkOpen fails with ErrClosed once Close was called.
func (s *Store) checkOpen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.ErrClosed
	}
	return nil
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
