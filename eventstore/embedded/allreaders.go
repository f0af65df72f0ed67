package embedded

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/paidan/paidan/eventstore"
)

// allReaders is a pool of read-only driver connections for ReadAll, which
// talk to the driver directly as streamReaders do for streams: database/sql's
// per-row work (Scan's conversions into RawBytes, and the copy the store then
// made of every payload) was about a third of a bulk read of the log, the
// load of a projection rebuild. Connections are opened on demand, up to the
// pool's size, with the stream readers' settings; subscriptions keep reading
// through database/sql.
type allReaders struct {
	mu     sync.Mutex
	dsn    string
	size   int
	opened []*allReader
	idle   chan *allReader
	closed bool
}

type allReader struct {
	conn      driver.Conn
	forwards  driver.StmtQueryContext
	backwards driver.StmtQueryContext
	args      [2]driver.NamedValue
	dest      [8]driver.Value
}

// maxPageCapacity bounds what a read reserves up front for its events: a
// page of the usual bulk size is collected without growing the slice, and a
// read allowing millions does not reserve them before finding them.
const maxPageCapacity = 4096

// get takes an idle reader, opening one while the pool is below its size,
// or waits for one; it fails when ctx ends or the store is closed (done).
func (p *allReaders) get(ctx context.Context, done <-chan struct{}, dsn string, size int) (*allReader, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, eventstore.ErrClosed
	}
	if p.idle == nil {
		p.dsn, p.size = dsn, max(size, 1)
		p.idle = make(chan *allReader, p.size)
	}
	select {
	case r := <-p.idle:
		p.mu.Unlock()
		return r, nil
	default:
	}
	if len(p.opened) < p.size {
		r, err := openAllReader(ctx, p.dsn)
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
	case <-done:
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

func openAllReader(ctx context.Context, dsn string) (*allReader, error) {
	conn, err := (&sqlite.Driver{}).Open(dsn)
	if err != nil {
		return nil, fmt.Errorf("open an $all reader: %w", err)
	}
	r := &allReader{conn: conn}
	prep, ok := conn.(driver.ConnPrepareContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("open an $all reader: the sqlite driver cannot prepare with a context")
	}
	for _, q := range []struct {
		stmt *driver.StmtQueryContext
		sql  string
	}{
		{&r.forwards, "SELECT " + eventColumns + " FROM events WHERE position >= ? ORDER BY position LIMIT ?"},
		{&r.backwards, "SELECT " + eventColumns + " FROM events WHERE position < ? ORDER BY position DESC LIMIT ?"},
	} {
		st, err := prep.PrepareContext(ctx, q.sql)
		if err != nil {
			_ = r.close()
			return nil, fmt.Errorf("prepare %q: %w", q.sql, err)
		}
		qc, ok := st.(driver.StmtQueryContext)
		if !ok {
			_ = st.Close()
			_ = r.close()
			return nil, errors.New("open an $all reader: the sqlite driver cannot query with a context")
		}
		*q.stmt = qc
	}
	return r, nil
}

func (r *allReader) close() error {
	var errs []error
	for _, q := range []driver.StmtQueryContext{r.forwards, r.backwards} {
		if st, ok := q.(driver.Stmt); ok {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, r.conn.Close())
	return errors.Join(errs...)
}

// readAllRaw runs one $all read on a pooled reader.
func (s *Store) readAllRaw(ctx context.Context, backwards bool, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	r, err := s.reads.raw.get(ctx, s.done, s.streamReaders.dsn, s.cfg.ReadConns)
	if err != nil {
		return nil, err
	}
	defer s.reads.raw.put(r)
	q := r.forwards
	if backwards {
		q = r.backwards
	}
	r.args[0] = driver.NamedValue{Ordinal: 1, Value: clamp(uint64(from))}
	r.args[1] = driver.NamedValue{Ordinal: 2, Value: int64(limit)}
	rows, err := q.QueryContext(ctx, r.args[:])
	if err != nil {
		return nil, s.errIfClosed(err)
	}
	defer rows.Close()
	events := make([]eventstore.RecordedEvent, 0, min(limit, maxPageCapacity))
	for {
		err := rows.Next(r.dest[:])
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return nil, s.errIfClosed(err)
		}
		ev, err := s.allEvent(r.dest[:])
		clear(r.dest[:])
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
}

// allEvent converts one row of eventColumns. The driver hands out fresh
// copies of blobs and strings, so they are kept as they are; the type name
// is interned.
func (s *Store) allEvent(row []driver.Value) (eventstore.RecordedEvent, error) {
	pos, ok1 := row[0].(int64)
	rev, ok2 := row[1].(int64)
	id, ok3 := row[2].([]byte)
	typ, ok4 := row[3].(string)
	data, ok5 := row[4].([]byte)
	meta, ok6 := row[5].([]byte)
	created, ok7 := row[6].(int64)
	stream, ok8 := row[7].(string)
	// Empty blobs arrive as nil.
	ok5 = ok5 || row[4] == nil
	ok6 = ok6 || row[5] == nil
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) {
		return eventstore.RecordedEvent{}, fmt.Errorf("$all: a stored row has unexpected column types %T %T %T %T %T %T %T %T",
			row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])
	}
	if len(id) != 16 {
		return eventstore.RecordedEvent{}, fmt.Errorf("event at position %d has a %d-byte ID, expected 16 bytes", pos, len(id))
	}
	ev := eventstore.RecordedEvent{
		StreamID: stream,
		Revision: uint64(rev),
		Position: eventstore.Position(pos),
		Type:     s.types.intern([]byte(typ)),
		Data:     data,
		Metadata: meta,
		Created:  time.Unix(0, created).UTC(),
	}
	copy(ev.ID[:], id)
	return ev, nil
}
