package embedded

import (
	"context"
	"database/sql"
	"fmt"
)

// SchemaVersion is the version of the file layout this package writes, kept in
// PRAGMA user_version so a later version can migrate an older file and an
// older version refuses a newer one.
const SchemaVersion = 1

// SchemaSQL creates the events table and its indexes. It is exported so the
// benchmark's plain-SQLite baseline writes rows of exactly this shape.
//
// position is the INTEGER PRIMARY KEY (the rowid), so the global log is the
// table's own b-tree order. The unique (stream, revision) index serves stream
// reads and heads and makes a duplicate revision impossible; event_id is
// indexed but not unique, because an ID may repeat across streams and, under
// an exact expectation, within one.
const SchemaSQL = `
CREATE TABLE IF NOT EXISTS events (
	position INTEGER PRIMARY KEY,
	stream   TEXT    NOT NULL,
	revision INTEGER NOT NULL,
	event_id BLOB    NOT NULL,
	type     TEXT    NOT NULL,
	data     BLOB    NOT NULL,
	metadata BLOB    NOT NULL,
	created  INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream, revision);
CREATE INDEX IF NOT EXISTS events_event_id ON events (event_id);
`

// InsertSQL inserts one event row; exported for the benchmark's baseline.
const InsertSQL = `INSERT INTO events (position, stream, revision, event_id, type, data, metadata, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// migrate brings the file to SchemaVersion inside one transaction.
func migrate(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version == SchemaVersion:
		return nil
	case version > SchemaVersion:
		return fmt.Errorf("the file has schema version %d; this build reads up to version %d", version, SchemaVersion)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin schema migration: %w", err)
	}
	// Version 0 is a new file; later versions add their steps here.
	if _, err := conn.ExecContext(ctx, SchemaSQL); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("create schema version %d: %w", SchemaVersion, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("set schema version: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("commit schema migration: %w", err)
	}
	return nil
}
