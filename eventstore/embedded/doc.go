// Package embedded is Paidan's default event store: one SQLite file (through
// modernc.org/sqlite, no cgo) in WAL mode with synchronous=FULL, written by one
// goroutine that commits concurrent appends together (group commit) and read
// through a separate pool of read-only connections.
//
// # Durability
//
// An Append returns only after the transaction holding its events has been
// committed with synchronous=FULL, so an acknowledged append survives the
// process being killed (and, as far as the file system keeps its promises, a
// power loss). Open refuses a file it cannot put in WAL mode with FULL sync.
//
// # Files
//
// Beside the database file SQLite keeps its -wal and -shm files, and the
// store holds an flock on path+".lock" so that a second process (or a second
// Open) cannot run another writer on the same file. The schema version is
// kept in PRAGMA user_version; Open refuses a newer one.
//
// # Group commit
//
// Appends queue requests for the writer. The writer drains what is queued (up
// to Config.MaxBatchEvents events), checks every request's expectation on its
// own against an in-memory cache of stream heads overlaid with the batch's own
// writes, inserts the events of the requests that pass, and commits once. A
// request that fails its check writes nothing and does not fail its
// batch-mates; if the commit itself fails, every request of the batch fails and
// the head cache is discarded.
//
// # Positions and revisions
//
// Global positions are 1, 2, 3… without gaps, assigned by the writer in commit
// order; the events of one append are contiguous. Revisions count from 0 in each
// stream. Created is the commit batch's time in UTC, kept to the nanosecond.
//
// # IdempotencyRules
//
// The store follows EventStoreDB's decision procedure, with cur the stream's
// last revision (-1 without events) and E the expectation:
//
//   - StreamExists on a stream without events fails with a wrong expected
//     revision.
//   - Any and StreamExists: with no events the append succeeds and writes
//     nothing. If the first event ID was never written to this stream, the
//     events are appended. If every ID was written to this stream before, the
//     append is an idempotent success: nothing is written and the result is
//     the revision and position of the event holding the last proposed ID. If
//     the first ID is known and a later one is not, the append fails with a
//     wrong expected revision.
//   - NoStream or Exact(E) with E < cur: the IDs are compared with the stored
//     events at revisions E+1, E+2, …; if all match, the append is an
//     idempotent success returning the result of the original append (the
//     revision and position of the last matched event); otherwise, and for an
//     append of zero events, it fails with a wrong expected revision.
//   - Exact(E) with E > cur fails; Exact(cur) (or NoStream on a stream
//     without events) appends.
//
// Unlike EventStoreDB, which remembers recent IDs in a bounded cache and is
// therefore best effort for Any and StreamExists, this store is exact: it keeps
// an index on every event ID and consults it. The same ID may be stored in
// several streams, and twice in one stream when written under an exact
// expectation; for Any the latest event of the stream holding the ID counts.
// An event proposed with the zero ID gets a new time-ordered UUID (v7), which
// the store knows to be new.
//
// # Subscriptions
//
// SubscribeAll reads history page by page from the subscriber's own last
// position, then serves recent events from an in-memory ring that the writer
// fills after each commit, waking waiting subscribers at once. Because a
// subscriber always continues from its own last position, the switch from
// catch-up to live has no gap and no duplicate. Events handed out by a
// subscription may share their Data and Metadata slices with other
// subscribers: treat them as read-only.
package embedded
