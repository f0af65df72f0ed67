// Package domain holds Paidan's aggregates (orders and teams), their events and
// commands, the invariants, and the dispatch policy. It is pure: no I/O, no
// clock reads, no frameworks; it imports only the standard library and uuid.
//
// How the write side uses it:
//
//   - Load: decode each stored event with UnmarshalEvent (old payload versions
//     are upcast) and replay them with RehydrateOrder / RehydrateTeam, or with
//     Apply one by one. Replaying is not construction: it validates nothing but
//     the coherence of the history.
//   - Decide: call a command — PlaceOrder or RegisterTeam for a new stream, a
//     method of *Order or *Team otherwise — with the acting Actor and the time.
//     Commands return the events that should happen, or an error, and change
//     nothing. An empty list with no error means there is nothing to do.
//   - Append: MarshalEvent gives the stored type name and JSON payload;
//     NewMetadata the envelope; Version the expected revision.
//
// Every refusal wraps one class (ErrInvalid, ErrForbidden, ErrConflict,
// ErrNotFound; see errors.go) and a specific error (ErrNotYourOffer, …);
// invalid input is a *ValidationError naming the field. Codec, directory and
// history errors are not refusals and belong to no class.
//
// RankTeams is the dispatch policy: pure and deterministic, versioned by
// PolicyVersion, with the decision recorded in OrderOffered.
//
// Files: role.go, category.go, validation.go (input rules), directory*.go (the
// district), event.go and events_*.go (payloads and type names), codec.go and
// upcast.go (JSON and versions), metadata.go, stream.go, order*.go and team.go
// (aggregates), policy.go (dispatch).
package domain
