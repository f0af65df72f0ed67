// Package esdbtest is an in-process EventStoreDB protocol test server, used
// only by tests. No EventStoreDB can be installed on this project's machines,
// so the adapter in eventstore/esdb is tested against this server through the
// real EventStore-Client-Go v4.2.0 client.
//
// It registers the generated gRPC servers of the client module
// (protos/streams, protos/serverfeatures, protos/gossip) on a real TCP socket
// and implements exactly the subset of the protocol that
// ../ESDB-PROTOCOL.md (the project's notes on the protocol, cited by section
// throughout) specifies: feature discovery, appends with every expected-revision form and
// the server's idempotency rules, soft delete and tombstones, stream
// metadata, reads of streams and $all in both directions, catch-up
// subscriptions with confirmation, caught-up, filters and checkpoints, error
// trailers, a keepalive policy the client's pings survive, a hook answering
// "not leader", and stop/restart on the same port.
//
// The log lives in the Server value, not in the gRPC server, so Restart keeps
// every event. Positions grow like byte offsets with gaps, so nothing that
// passes against this server relies on gap-free positions.
//
// It is not EventStoreDB: there is no persistence, no authentication, no
// access control, no projections, no persistent subscriptions, no $maxAge or
// $maxCount (except the metastreams' implicit max-count of one), and no
// scavenging. What it proves is that the adapter speaks the protocol the way
// the specification describes; docs/eventstoredb.md lists what still has to
// be confirmed on a real server.
package esdbtest
