package embedded

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"modernc.org/sqlite"

	"github.com/paidan/paidan/eventstore"
)

// streamReaders is a fixed pool of read-only driver connections for
// ReadStream, the hot path of loading aggregates. It talks to the driver
// directly because database/sql's bookkeeping (pool, wrappers, conversions)
// cost about a quarter of such a read; everything else reads through
// database/sql.
type streamReaders struct {
	idle chan *streamReader
	all  []*streamReader
}

type streamReader struct {
	conn      driver.Conn
	forwards  driver.Stmt
	backwards driver.Stmt
	args      []driver.NamedValue
	dest      []driver.Value
}

func (p *streamReaders) open(ctx context.Context, dsn string, n int) error {
	p.idle = make(chan *streamReader, n)
	for range n {
		r, err := openStreamReader(ctx, dsn)
		if err != nil {
			return err
		}
		p.all = append(p.all, r)
		p.idle <- r
	}
	return nil
}

func openStreamReader(ctx context.Context, dsn string) (*streamReader, error) {
	conn, err := (&sqlite.Driver{}).Open(dsn)
	if err != nil {
		return nil, fmt.Errorf("open a stream reader: %w", err)
	}
	r := &streamReader{conn: conn, args: make([]driver.NamedValue, 3), dest: make([]driver.Value, 7)}
	prep, ok := conn.(driver.ConnPrepareContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("open a stream reader: the sqlite driver cannot prepare with a context")
	}
	for _, q := range []struct {
		stmt *driver.Stmt
		sql  string
	}{
		{&r.forwards, "SELECT " + streamColumns + " FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?"},
		{&r.backwards, "SELECT " + streamColumns + " FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?"},
	} {
		st, err := prep.PrepareContext(ctx, q.sql)
		if err != nil {
			_ = r.close()
			return nil, fmt.Errorf("prepare %q: %w", q.sql, err)
		}
		if _, ok := st.(driver.StmtQueryContext); !ok {
			_ = st.Close()
			_ = r.close()
			return nil, errors.New("open a stream reader: the sqlite driver cannot query with a context")
		}
		*q.stmt = st
	}
	return r, nil
}

func (r *streamReader) close() error {
	var errs []error
	for _, st := range []driver.Stmt{r.forwards, r.backwards} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, r.conn.Close())
	return errors.Join(errs...)
}

// get takes an idle reader, waiting for one; it fails when ctx ends or the
// store is closed (done).
func (p *streamReaders) get(ctx context.Context, done <-chan struct{}) (*streamReader, error) {
	select {
	case r := <-p.idle:
		return r, nil
	default:
	}
	select {
	case r := <-p.idle:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-done:
		return nil, eventstore.ErrClosed
	}
}

func (p *streamReaders) put(r *streamReader) { p.idle <- r }

// close waits for every reader to be returned and closes it; call it only
// once no new read can start.
func (p *streamReaders) close() error {
	var errs []error
	for range p.all {
		errs = append(errs, (<-p.idle).close())
	}
	p.all = nil
	return errors.Join(errs...)
}

// read runs one stream read on r.
func (r *streamReader) read(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	st := r.forwards
	if opts.Direction == eventstore.Backwards {
		st = r.backwards
	}
	r.args[0] = driver.NamedValue{Ordinal: 1, Value: stream}
	r.args[1] = driver.NamedValue{Ordinal: 2, Value: clamp(opts.From)}
	r.args[2] = driver.NamedValue{Ordinal: 3, Value: int64(opts.Limit)}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, r.args)
	r.args[0].Value = nil
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := make([]eventstore.RecordedEvent, 0, min(opts.Limit, 8))
	for {
		err := rows.Next(r.dest)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		ev, err := streamEvent(stream, r.dest)
		clear(r.dest)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// streamEvent converts one row of streamColumns. The driver hands out fresh
// copies of blobs and strings, so they are kept as they are.
func streamEvent(stream string, row []driver.Value) (eventstore.RecordedEvent, error) {
	pos, ok1 := row[0].(int64)
	rev, ok2 := row[1].(int64)
	id, ok3 := row[2].([]byte)
	typ, ok4 := row[3].(string)
	data, ok5 := row[4].([]byte)
	meta, ok6 := row[5].([]byte)
	created, ok7 := row[6].(int64)
	// Empty blobs arrive as nil.
	ok5 = ok5 || row[4] == nil
	ok6 = ok6 || row[5] == nil
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || len(id) != 16 {
		return eventstore.RecordedEvent{}, fmt.Errorf("stream %q: a stored row has unexpected column types %T %T %T %T %T %T %T",
			stream, row[0], row[1], row[2], row[3], row[4], row[5], row[6])
	}
	ev := eventstore.RecordedEvent{
		StreamID: stream,
		Revision: uint64(rev),
		Position: eventstore.Position(pos),
		Type:     typ,
		Data:     data,
		Metadata: meta,
		Created:  time.Unix(0, created).UTC(),
	}
	copy(ev.ID[:], id)
	return ev, nil
}
