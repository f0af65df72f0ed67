// Package projections turns the global event log into read models: a watermill
// source over the store's $all subscription, a router of projection handlers
// with checkpoints, and the SQL tables coordinators, analysts and the
// dispatcher read.
//
// # Pipeline
//
// A Source is a watermill Subscriber: each Subscribe(topic) is a store
// subscription from the topic's checkpoint, delivering one message per event
// (UUID = event id; metadata stream, revision, position, type, created and
// the event's own metadata keys) plus control messages for checkpoints and
// for having caught up. A Pipeline runs every projection (Definition) as a
// handler of one watermill Router with Recoverer, a bounded Retry and a
// poison path that parks an event a projection keeps failing on in
// parked_events and moves that projection on; the others never wait for it.
//
// # Exactly-once effect
//
// A projection applies events to write-behind caches of its tables (Table),
// reading rows it does not hold from committed state, and commits the
// changed rows together with its row of projection_checkpoints, so a crash
// loses or keeps both. Events at or below the checkpoint are skipped, so
// redelivery changes nothing. A batch commits when it is full, when nothing
// more is buffered (after LiveLinger, on a grid so that the batches one
// event opened in every projection fall due together), when the source
// caught up, or after BatchInterval. Batches due together share one write
// transaction, each in a savepoint of its own (commitGroup); a failed batch
// is rolled back alone and its source redelivers from the committed
// checkpoint.
//
// # Databases
//
// Views is SQLite (views.db in the data directory, WAL, one writer
// connection, background checkpoints) or PostgreSQL (pgx through
// database/sql) when the DSN is postgres://…. Projection SQL is written once
// for both; tables are named {like_this} and created by versioned migrations
// recorded in projection_migrations.
//
// # Rebuild
//
// Rebuild replays the log into fresh tables beside the live ones, applying
// the same model code to ReadAll pages in large transactions (written on a
// second goroutine while the next batch is applied), indexes them, and swaps
// them in with the checkpoints in one transaction. A pipeline running in the
// same process is told: the rebuilt projections drop their open batches and
// cached rows and follow the log from the new checkpoint at once. Any other
// live writer finds the checkpoint moved when it next commits, drops that
// batch, and its source redelivers from the new checkpoint.
//
// # Freshness
//
// Every Reader result carries the Freshness it reflects: the projection's
// checkpoint read in the same snapshot as the rows, and its lag. A client
// that has just appended can Pipeline.WaitFor the append's position before
// reading, instead of sleeping.
package projections
