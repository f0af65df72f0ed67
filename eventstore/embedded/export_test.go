package embedded

import (
	"context"
	"database/sql"
)

// Hooks for the external tests of this package.

// SetBeforeBatch installs a function the writer runs after taking the first
// request of each batch; call it before the first append.
func SetBeforeBatch(s *Store, f func()) { s.writer.beforeBatch = f }

// QueueLen is the number of appends waiting for the writer.
func QueueLen(s *Store) int { return len(s.queue) }

// VerifyPragmas runs Open's durability check on a connection.
func VerifyPragmas(ctx context.Context, conn *sql.Conn) error { return verifyPragmas(ctx, conn) }
