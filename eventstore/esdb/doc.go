// Package esdb is the EventStoreDB adapter of the eventstore port, built on
// the official client github.com/EventStore/EventStore-Client-Go/v4 (v4.2.0).
// It is the only package of Paidan that imports the client.
//
// Mapping. Stream names are kept as they are. Port positions are EventStoreDB
// commit positions (EventStoreDB 24.10 reports commit == prepare, so one
// number is enough); they increase with gaps. Revisions are event numbers.
// Expected revisions map to esdb.Any, esdb.NoStream, esdb.StreamExists and
// esdb.Revision. ReadAll and subscriptions never return events of system
// streams or with system types ('$'…).
//
// IdempotencyRules. A retry with the same event IDs and the same expectation
// is answered by the server with the original result: exactly for NoStream
// and Exact (the server compares the IDs stored after the expected
// revision), best effort for Any and StreamExists (the server remembers
// recent event IDs in a bounded cache, so a retry long after the original
// may append duplicates).
//
// Errors. Client errors are recognised with errors.As on *esdb.Error (the
// client wraps many of them, so esdb.FromError alone misreads them) and
// translated once: wrong expected version → *eventstore.WrongExpectedRevisionError,
// stream not found → eventstore.ErrStreamNotFound, deleted →
// eventstore.ErrStreamDeleted, deadline → context.DeadlineExceeded,
// unavailable or connection closed → eventstore.ErrUnavailable, not leader →
// eventstore.ErrNotLeader. An append above Config.MaxAppendSize, counted as
// the server counts it, is refused with eventstore.ErrEventTooLarge before
// it is sent.
//
// Connection. The client closes itself for good when discovery fails, and
// callers queued on it at that moment would wait forever; the Store replaces
// such a client, releases those callers with ErrUnavailable, lets every
// caller leave when its context ends, and closes an old client only when
// nothing uses it any more (conn.go explains why). So the Store keeps
// answering ErrUnavailable during an outage and recovers when the server
// returns.
//
// Subscriptions. SubscribeAll is a catch-up subscription to $all with a
// server-side filter: the stream-prefix filter when set, else the event-type
// prefix filter, else "exclude system events"; the rest of the port's Filter
// is applied locally. Checkpoints are passed on when the port's Filter is
// set. A dropped subscription (the server went away) ends with an error
// wrapping eventstore.ErrSubscriptionDropped, and eventstore.ErrUnavailable
// when that was the cause; the consumer resubscribes from its last position.
package esdb
