package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// readStmts are the read-only pool's prepared queries.
type readStmts struct {
	streamExists *sql.Stmt
	// allForwards and allBackwards serve subscriptions' catch-up pages;
	// ReadAll goes through raw, its own pool of connections.
	allForwards  *sql.Stmt
	allBackwards *sql.Stmt
	raw          allReaders
}

// The columns scanEvents reads: with the stream name for $all, without it for
// a stream (the caller knows it).
const (
	eventColumns  = "position, revision, event_id, type, data, metadata, created, stream"
	streamColumns = "position, revision, event_id, type, data, metadata, created"
)

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&r.streamExists, "SELECT 1 FROM events WHERE stream = ? LIMIT 1"},
		{&r.allForwards, "SELECT " + eventColumns + " FROM events WHERE position >= ? ORDER BY position LIMIT ?"},
		{&r.allBackwards, "SELECT " + eventColumns + " FROM events WHERE position < ? ORDER BY position DESC LIMIT ?"},
	} {
		stmt, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.stmt = stmt
	}
	return nil
}

func (r *readStmts) close() error {
	errs := []error{r.raw.close()}
	for _, st := range []*sql.Stmt{r.streamExists, r.allForwards, r.allBackwards} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// clamp maps a uint64 bound onto SQLite's signed integers; anything past
// MaxInt64 is past every stored revision and position.
func clamp(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if s.isClosed.Load() {
		return nil, fmt.Errorf("read stream %q: %w", stream, eventstore.ErrClosed)
	}
	if err := eventstore.ValidateLimit(opts.Limit); err != nil {
		return nil, err
	}
	if stream == "" {
		return nil, fmt.Errorf("%w: read of an empty stream name", eventstore.ErrInvalidRequest)
	}
	if opts.Direction != eventstore.Forwards && opts.Direction != eventstore.Backwards {
		return nil, fmt.Errorf("%w: unknown read direction %d", eventstore.ErrInvalidRequest, opts.Direction)
	}
	events, err := s.readStream(ctx, stream, opts)
	if err != nil || len(events) > 0 {
		return events, err
	}
	// No events: a stream that was never written, or a range beyond the end.
	// The existence check is a second read transaction, so the stream may
	// have been created in between; since streams never disappear, reading
	// once more after finding it gives an answer true of one moment.
	var one int
	err = s.reads.streamExists.QueryRowContext(ctx, stream).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read stream %q: %w", stream, eventstore.ErrStreamNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, s.errIfClosed(err))
	}
	return s.readStream(ctx, stream, opts)
}

func (s *Store) readStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	r, err := s.streamReaders.get(ctx, s.done)
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, err)
	}
	defer s.streamReaders.put(r)
	events, err := r.read(ctx, stream, opts)
	if err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, s.errIfClosed(err))
	}
	return events, nil
}

// ReadAll implements eventstore.Store. The store holds no system streams, so
// every event is returned.
func (s *Store) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	if s.isClosed.Load() {
		return nil, fmt.Errorf("read $all: %w", eventstore.ErrClosed)
	}
	if err := eventstore.ValidateLimit(opts.Limit); err != nil {
		return nil, err
	}
	if opts.Direction != eventstore.Forwards && opts.Direction != eventstore.Backwards {
		return nil, fmt.Errorf("%w: unknown read direction %d", eventstore.ErrInvalidRequest, opts.Direction)
	}
	if opts.Direction == eventstore.Forwards {
		// A reader following the log's tail (the dispatcher's team view,
		// once per offer) asks for what was just committed: the ring the
		// subscriptions read holds it, without a query.
		if events, ok := s.pub.recent(opts.From, opts.Limit, nil); ok {
			return ownCopies(events), nil
		}
	}
	events, err := s.readAllRaw(ctx, opts.Direction == eventstore.Backwards, opts.From, opts.Limit)
	if err != nil {
		return nil, fmt.Errorf("read $all %s from %d: %w", opts.Direction, opts.From, err)
	}
	return events, nil
}

func (s *Store) readAll(ctx context.Context, stmt *sql.Stmt, from eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	rows, err := stmt.QueryContext(ctx, clamp(uint64(from)), limit)
	if err != nil {
		return nil, s.errIfClosed(err)
	}
	events, err := s.scanEvents(rows, "", min(limit, 256))
	if err != nil {
		return nil, s.errIfClosed(err)
	}
	return events, nil
}

// scanEvents reads rows of streamColumns (stream set) or eventColumns
// (stream empty) and closes them. The events' Data and Metadata are carved
// from a few shared buffers rather than allocated one by one, each capped so
// that appending to one cannot overwrite the next.
func (s *Store) scanEvents(rows *sql.Rows, stream string, capacity int) ([]eventstore.RecordedEvent, error) {
	defer rows.Close()
	events := make([]eventstore.RecordedEvent, 0, capacity)
	var (
		pos, rev, created   int64
		id, typ, data, meta sql.RawBytes
		streamName          string
		slab                []byte
	)
	dest := []any{&pos, &rev, &id, &typ, &data, &meta, &created}
	if stream == "" {
		dest = append(dest, &streamName)
	}
	carve := func(b []byte) []byte {
		if len(slab)+len(b) > cap(slab) {
			slab = make([]byte, 0, max(1024, len(b)))
		}
		start := len(slab)
		slab = append(slab, b...)
		return slab[start:len(slab):len(slab)]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if len(id) != 16 {
			return nil, fmt.Errorf("event at position %d has a %d-byte ID, expected 16 bytes", pos, len(id))
		}
		ev := eventstore.RecordedEvent{
			StreamID: stream,
			Revision: uint64(rev),
			Position: eventstore.Position(pos),
			Type:     s.types.intern(typ),
			Data:     carve(data),
			Metadata: carve(meta),
			Created:  time.Unix(0, created).UTC(),
		}
		copy(ev.ID[:], id)
		if stream == "" {
			ev.StreamID = streamName
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

// ownCopies gives the caller events whose Data and Metadata it may change:
// the ring's are shared with every subscriber. They are carved from one
// slab, as ReadAll's rows are.
func ownCopies(events []eventstore.RecordedEvent) []eventstore.RecordedEvent {
	n := 0
	for i := range events {
		n += len(events[i].Data) + len(events[i].Metadata)
	}
	sl := slab{buf: make([]byte, 0, n)}
	for i := range events {
		events[i].Data = sl.carve(events[i].Data)
		events[i].Metadata = sl.carve(events[i].Metadata)
	}
	return events
}
