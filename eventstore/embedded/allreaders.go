package embedded

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paidan/paidan/eventstore"
)

// allReaders is a pool of read-only SQLite connections for ReadAll, opened
// on demand up to the pool's size. They bypass both database/sql and the
// driver and call SQLite's C API (modernc's translation of it) directly:
// a bulk read of the log, the load of a projection rebuild, spent about a
// third of its time in database/sql (Scan, RawBytes and the store's copy of
// every payload), and through the driver still a third in boxing every
// column into a driver.Value and allocating it on its own. Here a row's
// integers are read as integers and its payloads copied straight into a
// few shared buffers. Subscriptions keep reading through database/sql.
type allReaders struct {
	mu     sync.Mutex
	opened []*allReader
	idle   chan *allReader
	closed bool
}

// allReader is one connection with its two statements. It is used by one
// goroutine at a time (the pool hands it out), which is what SQLite's
// multi-thread mode (SQLITE_OPEN_NOMUTEX) and a libc.TLS require.
type allReader struct {
	tls       *libc.TLS
	db        uintptr
	forwards  uintptr
	backwards uintptr
}

// allReadersMmap lets $all readers map up to 2 GiB of the file (SQLite's
// default ceiling), where the other readers map 256 MiB: a scan of the log
// touches every page once, and a page past the mapping costs a pread.
const allReadersMmap = 2147418112

// ptrSize is the size of a C pointer, for SQLite's out-parameters.
const ptrSize = unsafe.Sizeof(uintptr(0))

// cptr turns an address in libc's heap, outside Go's, into a pointer to
// read through. It reinterprets the variable rather than converting the
// integer, a conversion go vet rightly flags for Go memory; the collector
// ignores pointers outside its heap.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// maxPageCapacity bounds what a read reserves up front for its events: a
// page of the usual bulk size is collected without growing the slice, and a
// read allowing millions does not reserve them before finding them.
const maxPageCapacity = 4096

// get takes an idle reader, opening one while the pool is below its size,
// or waits for one; it fails when ctx ends or the store is closed (done).
func (p *allReaders) get(ctx context.Context, s *Store) (*allReader, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, eventstore.ErrClosed
	}
	if p.idle == nil {
		p.idle = make(chan *allReader, max(s.cfg.ReadConns, 1))
	}
	select {
	case r := <-p.idle:
		p.mu.Unlock()
		return r, nil
	default:
	}
	if len(p.opened) < cap(p.idle) {
		r, err := openAllReader(s.path, s.cfg.BusyTimeout)
		if err == nil {
			p.opened = append(p.opened, r)
		}
		p.mu.Unlock()
		return r, err
	}
	idle := p.idle
	p.mu.Unlock()
	select {
	case r := <-idle:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, eventstore.ErrClosed
	}
}

func (p *allReaders) put(r *allReader) { p.idle <- r }

// close refuses new reads, waits for every opened reader to be returned and
// closes it; call it only once no new read can start.
func (p *allReaders) close() error {
	p.mu.Lock()
	p.closed = true
	opened := p.opened
	p.opened = nil
	p.mu.Unlock()
	var errs []error
	for range opened {
		errs = append(errs, (<-p.idle).close())
	}
	return errors.Join(errs...)
}

// openAllReader opens path read-write without creating it, as the driver's
// read connections do, and makes the connection query-only.
func openAllReader(path string, busy time.Duration) (*allReader, error) {
	r := &allReader{tls: libc.NewTLS()}
	pdb := libc.Xmalloc(r.tls, libc.Tsize_t(ptrSize))
	name, err := libc.CString(path)
	if pdb == 0 || err != nil {
		libc.Xfree(r.tls, pdb)
		r.tls.Close()
		return nil, errors.New("open an $all reader: out of memory")
	}
	rc := sqlite3.Xsqlite3_open_v2(r.tls, name, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	r.db = *(*uintptr)(cptr(pdb))
	libc.Xfree(r.tls, name)
	libc.Xfree(r.tls, pdb)
	if rc != sqlite3.SQLITE_OK {
		err := r.errorf(rc, "open an $all reader on %s", path)
		r.close()
		return nil, err
	}
	setup := fmt.Sprintf("PRAGMA busy_timeout = %d; PRAGMA query_only = 1; PRAGMA mmap_size = %d",
		busy.Milliseconds(), allReadersMmap)
	if err := r.exec(setup); err != nil {
		r.close()
		return nil, err
	}
	for _, q := range []struct {
		stmt *uintptr
		sql  string
	}{
		{&r.forwards, "SELECT " + eventColumns + " FROM events WHERE position >= ? ORDER BY position LIMIT ?"},
		{&r.backwards, "SELECT " + eventColumns + " FROM events WHERE position < ? ORDER BY position DESC LIMIT ?"},
	} {
		st, err := r.prepare(q.sql)
		if err != nil {
			r.close()
			return nil, err
		}
		*q.stmt = st
	}
	return r, nil
}

func (r *allReader) exec(q string) error {
	z, err := libc.CString(q)
	if err != nil {
		return errors.New("out of memory")
	}
	defer libc.Xfree(r.tls, z)
	if rc := sqlite3.Xsqlite3_exec(r.tls, r.db, z, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return r.errorf(rc, "%s", q)
	}
	return nil
}

func (r *allReader) prepare(q string) (uintptr, error) {
	z, err := libc.CString(q)
	if err != nil {
		return 0, errors.New("out of memory")
	}
	defer libc.Xfree(r.tls, z)
	pst := libc.Xmalloc(r.tls, libc.Tsize_t(ptrSize))
	if pst == 0 {
		return 0, errors.New("out of memory")
	}
	defer libc.Xfree(r.tls, pst)
	if rc := sqlite3.Xsqlite3_prepare_v2(r.tls, r.db, z, -1, pst, 0); rc != sqlite3.SQLITE_OK {
		return 0, r.errorf(rc, "prepare %q", q)
	}
	return *(*uintptr)(cptr(pst)), nil
}

// errorf describes a failed call by the connection's last error message.
func (r *allReader) errorf(rc int32, format string, args ...any) error {
	msg := libc.GoString(sqlite3.Xsqlite3_errstr(r.tls, rc))
	if r.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(r.tls, r.db))
	}
	return fmt.Errorf("%s: %s (sqlite %d)", fmt.Sprintf(format, args...), msg, rc)
}

func (r *allReader) close() error {
	for _, st := range []uintptr{r.forwards, r.backwards} {
		if st != 0 {
			sqlite3.Xsqlite3_finalize(r.tls, st)
		}
	}
	var err error
	if r.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(r.tls, r.db); rc != sqlite3.SQLITE_OK {
			err = r.errorf(rc, "close an $all reader")
		}
		r.db = 0
	}
	r.tls.Close()
	return err
}

// ctxCheckRows is how often a read looks at its context between rows.
// SQLite is not interrupted mid-step: a step reads one row, or waits at
// most the busy timeout for a lock, which a WAL reader rarely meets.
const ctxCheckRows = 256

// readAllRaw runs one $all read on a pooled reader.
func (s *Store) readAllRaw(ctx context.Context, backwards bool, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	r, err := s.reads.raw.get(ctx, s)
	if err != nil {
		return nil, err
	}
	defer s.reads.raw.put(r)
	st := r.forwards
	if backwards {
		st = r.backwards
	}
	// Resetting releases the read transaction the statement's last step
	// held, even when the read stops early.
	defer sqlite3.Xsqlite3_reset(r.tls, st)
	sqlite3.Xsqlite3_bind_int64(r.tls, st, 1, clamp(uint64(from)))
	sqlite3.Xsqlite3_bind_int64(r.tls, st, 2, int64(limit))
	events := make([]eventstore.RecordedEvent, 0, min(limit, maxPageCapacity))
	var slab slab
	for n := 0; ; n++ {
		if n%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		switch rc := sqlite3.Xsqlite3_step(r.tls, st); rc {
		case sqlite3.SQLITE_DONE:
			return events, nil
		case sqlite3.SQLITE_ROW:
		default:
			return nil, s.errIfClosed(r.errorf(rc, "step"))
		}
		ev, err := s.allEvent(r, st, &slab)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
}

// allEvent reads the current row of eventColumns. Payloads and the stream
// name are copied out of SQLite's buffers, which the next step reuses.
func (s *Store) allEvent(r *allReader, st uintptr, b *slab) (eventstore.RecordedEvent, error) {
	pos := sqlite3.Xsqlite3_column_int64(r.tls, st, 0)
	id := r.column(st, 2)
	if len(id) != 16 {
		return eventstore.RecordedEvent{}, fmt.Errorf("event at position %d has a %d-byte ID, expected 16 bytes", pos, len(id))
	}
	ev := eventstore.RecordedEvent{
		Revision: uint64(sqlite3.Xsqlite3_column_int64(r.tls, st, 1)),
		Position: eventstore.Position(pos),
		Type:     s.types.intern(r.column(st, 3)),
		Data:     b.carve(r.column(st, 4)),
		Metadata: b.carve(r.column(st, 5)),
		Created:  time.Unix(0, sqlite3.Xsqlite3_column_int64(r.tls, st, 6)).UTC(),
	}
	copy(ev.ID[:], id)
	// The stream name's bytes sit in the slab beside the payloads and are
	// never written again, so the string can share them.
	if name := b.carve(r.column(st, 7)); len(name) > 0 {
		ev.StreamID = unsafe.String(&name[0], len(name))
	}
	return ev, nil
}

// column returns column i of the current row as SQLite holds it, valid
// until the next step or reset.
func (r *allReader) column(st uintptr, i int32) []byte {
	p := sqlite3.Xsqlite3_column_blob(r.tls, st, i)
	n := sqlite3.Xsqlite3_column_bytes(r.tls, st, i)
	if p == 0 || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(cptr(p)), n)
}

// slab hands out copies of byte strings from shared buffers, each capped so
// that appending to one cannot overwrite the next. Buffers start small (a
// read of one event allocates little) and double up to slabMax.
type slab struct{ buf []byte }

const (
	slabMin = 4 << 10
	slabMax = 256 << 10
)

func (s *slab) carve(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(s.buf)+len(b) > cap(s.buf) {
		s.buf = make([]byte, 0, max(len(b), min(2*cap(s.buf), slabMax), slabMin))
	}
	start := len(s.buf)
	s.buf = append(s.buf, b...)
	return s.buf[start:len(s.buf):len(s.buf)]
}
