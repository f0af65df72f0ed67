// Package app handles commands (load a stream, let the domain decide, append
// with the revision read, retry on conflict) and runs the dispatcher process
// manager. It depends on the domain and on the event store port only.
//
// # Stream cache
//
// An order's stream is written by a handful of commands in a row (placed,
// offered, accepted, completed, rated) and, without help, each of them and
// the dispatcher would read and decode it whole from the store first. So
// Commands keeps the streams it last read or wrote in memory: after a
// successful append the stream is cached as it now is, and the next command
// on it reads nothing. Config.CacheStreams bounds how many streams are kept
// (default 20,000; PAIDAN_CACHE_STREAMS for `paidan serve`; an order's
// stream costs about 2 KiB), and Config.NoCache turns the cache off.
//
// A cached stream may be stale: another process, or another Commands on the
// same store, may have appended to it since. That never changes an answer,
// because the store's optimistic concurrency check is the authority, not
// the cache:
//
//   - A command that appends does so expecting the cached revision. If the
//     stream moved on, the store refuses the append with a wrong expected
//     revision; the command reads only the events it lacked and decides
//     again, exactly as after losing a race to a concurrent writer.
//   - An answer that appends nothing — a domain refusal, nothing to do, an
//     If-Match mismatch (412) — is confirmed first: the stream is read from
//     the cached revision on, and if anything is there the command decides
//     again on the longer stream.
//   - A retry found in the cache (its idempotency key's events) is answered
//     from it, since stored events never change; when its answer needs the
//     global position of an event the store did not report (only the last
//     event of an append has one), the stream is read whole.
//   - A command with an idempotency key (the dispatcher's always have one)
//     whose retry is not in the cache reads what the cache lacks before
//     deciding: the store absorbs an append of ids it already holds, so an
//     earlier request with the key, stored behind the cache's back, would
//     otherwise be answered as this request's own work instead of as a
//     replay. After appending, such a command reads back the events stored
//     from its first revision on and answers with them: the store may have
//     absorbed its append as the retry of a concurrent request with the
//     same key, whose events differ from its own in their times.
//
// Those reads start at the last cached event, so that "nothing new" — the
// usual answer — is one short read that decodes nothing. Entries are never
// modified: a stream that grew is stored anew, with slices whose capacity
// equals their length, so no two goroutines append into one backing array.
//
// The dispatcher reads orders through the same cache (Commands.ViewStream),
// always confirmed: "handled before" and "no longer placed" lead it to do
// nothing, and "not handled" to a command that nothing would stop if
// another process had meanwhile handled the trigger some other way. Reads
// that do not append — the named team of a manual dispatch — always go to
// the store: no revision check would catch a stale team.
package app
