// Package domain holds Paidan's aggregates (orders and teams), their events and
// commands, the invariants, and the dispatch policy. It is pure: no I/O, no
// clock reads, no frameworks; it imports only the standard library and uuid.
package domain
