package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paidan/paidan/eventstore"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ eventstore.Store = (*Store)(nil)

// Store is the embedded event store. Create it with Open; it is safe for
// concurrent use.
type Store struct {
	cfg  Config
	path string
	lock *fileLock

	writeDB *sql.DB
	writer  *writer

	readDB        *sql.DB
	reads         readStmts
	streamReaders streamReaders
	types         typeNames

	// mu orders sends on queue against Close closing it.
	mu     sync.RWMutex
	closed bool
	queue  chan *appendRequest

	isClosed   atomic.Bool
	done       chan struct{} // closed once the writer has stopped
	writerDone chan struct{}
	closeOnce  sync.Once
	closeErr   error

	pub publisher

	commits atomic.Uint64
	appends atomic.Uint64
	events  atomic.Uint64
}

// Stats counts what the writer has done since Open.
type Stats struct {
	// Commits is the number of transactions committed by the writer.
	Commits uint64
	// Appends is the number of successful appends (idempotent retries and
	// empty appends included).
	Appends uint64
	// Events is the number of events written.
	Events uint64
}

// Stats reports the writer's counters; Appends/Commits is the group-commit
// factor.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.commits.Load(), Appends: s.appends.Load(), Events: s.events.Load()}
}

// Open opens (creating if needed) the store in the SQLite file at path. It
// refuses a file whose journal mode cannot be WAL or whose writer connection
// does not run with synchronous=FULL, a file of a newer schema version, and a
// file another process has open.
func Open(path string, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("embedded: open %q: the path must be a non-empty file name without '?' or '#'", path)
	}
	s := &Store{
		cfg:        cfg,
		path:       path,
		queue:      make(chan *appendRequest, cfg.QueueLength),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if err := s.open(); err != nil {
		s.release()
		return nil, fmt.Errorf("embedded: open %s: %w", path, err)
	}
	go s.writer.run(s.queue, s.writerDone)
	return s, nil
}

func (s *Store) open() error {
	ctx := context.Background()
	lock, err := lockFile(s.path + ".lock")
	if err != nil {
		return err
	}
	s.lock = lock
	busy := s.cfg.BusyTimeout.Milliseconds()

	s.writeDB, err = sql.Open("sqlite", fmt.Sprintf("%s?_busy_timeout=%d", s.path, busy))
	if err != nil {
		return err
	}
	s.writeDB.SetMaxOpenConns(1)
	s.writeDB.SetMaxIdleConns(1)
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect writer: %w", err)
	}
	if err := setDurablePragmas(ctx, conn); err != nil {
		_ = conn.Close()
		return err
	}
	if err := migrate(ctx, conn); err != nil {
		_ = conn.Close()
		return err
	}
	s.writer, err = newWriter(ctx, conn, s)
	if err != nil {
		_ = conn.Close()
		return err
	}
	s.pub.init(s.cfg.RingEvents, s.cfg.RingBytes, s.writer.committed)

	// Readers map the file (up to 256 MiB) instead of copying pages with
	// pread; the writer does not, so a commit's durability never depends on
	// mapped memory.
	readDSN := fmt.Sprintf("%s?_busy_timeout=%d&_query_only=1&_pragma=mmap_size(268435456)", s.path, busy)
	s.readDB, err = sql.Open("sqlite", readDSN)
	if err != nil {
		return err
	}
	// Stream readers map the file too, although SQLite unmaps a
	// connection's whole mapping at its first read after any commit
	// (pagerBeginReadTransaction): under bench e2e that costs ~2 % of the
	// CPU, but without the mapping loading streams (bench store's load)
	// fell from 150-165 k to 121-126 k events/s (A/B, two runs each).
	if err := s.streamReaders.open(ctx, readDSN, s.cfg.ReadConns); err != nil {
		return err
	}
	s.readDB.SetMaxOpenConns(s.cfg.ReadConns)
	s.readDB.SetMaxIdleConns(s.cfg.ReadConns)
	if err := s.reads.prepare(ctx, s.readDB); err != nil {
		return err
	}
	return nil
}

// setDurablePragmas puts the file in WAL mode and the writer connection in
// synchronous=FULL, then reads both back: a driver or file that silently
// ignored them would make acknowledged appends losable.
func setDurablePragmas(ctx context.Context, conn *sql.Conn) error {
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set journal_mode: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return fmt.Errorf("set synchronous: %w", err)
	}
	// Should a statement journal be needed, keep it in memory: it is never
	// needed after a crash.
	if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
		return fmt.Errorf("set temp_store: %w", err)
	}
	return verifyPragmas(ctx, conn)
}

// ErrLocked is returned by Open when another process (a running server, as
// a rule) holds the store: one process writes an embedded store at a time.
var ErrLocked = errors.New("another process is using this store")

// ErrNotDurable is returned by Open when the file or connection cannot be put
// in the journal and sync modes the store's durability promise rests on.
var ErrNotDurable = errors.New("store would not be durable")

func verifyPragmas(ctx context.Context, conn *sql.Conn) error {
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("%w: journal_mode is %q, expected \"wal\"", ErrNotDurable, mode)
	}
	var sync int
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if sync != 2 {
		return fmt.Errorf("%w: synchronous is %d, expected 2 (FULL)", ErrNotDurable, sync)
	}
	return nil
}

// Close stops accepting appends, lets the writer finish what was queued,
// ends every subscription and closes the file. Later calls of any method
// return eventstore.ErrClosed; Close itself returns its first result again.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.isClosed.Store(true)
		s.mu.Lock()
		s.closed = true
		close(s.queue)
		s.mu.Unlock()
		<-s.writerDone
		close(s.done)
		s.closeErr = s.release()
	})
	return s.closeErr
}

// release closes whatever open() managed to open.
func (s *Store) release() error {
	var errs []error
	if s.writer != nil {
		errs = append(errs, s.writer.close())
	}
	errs = append(errs, s.reads.close(), s.streamReaders.close())
	if s.readDB != nil {
		errs = append(errs, s.readDB.Close())
	}
	if s.writeDB != nil {
		errs = append(errs, s.writeDB.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.unlock())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("embedded: close %s: %w", s.path, err)
	}
	return nil
}

// errIfClosed maps an error seen after Close began to ErrClosed, so callers
// never see the driver's "database is closed".
func (s *Store) errIfClosed(err error) error {
	if s.isClosed.Load() {
		return eventstore.ErrClosed
	}
	return err
}
