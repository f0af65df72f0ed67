// Package dispatcher is Paidan's process manager: it follows the global log
// and acts on the write side so that coordinators only have to step in when
// the engine cannot.
//
//   - OrderPlaced, OfferDeclined, OfferExpired, OfferWithdrawn: the order is
//     placed and waits for a team. The dispatcher offers it to the best team
//     the dispatch policy ranks (app.Commands.DispatchOrder, which records the
//     decision), or escalates it with the reason when no team can take it or
//     when Config.MaxOffers offers were declined or left to expire.
//   - TeamSuspended: the team's pending offers are withdrawn; each withdrawal
//     is itself a trigger, so the orders are offered to other teams.
//   - A ticker asks a read model for offers past their expiry and expires
//     them (app.Commands.ExpireOffer). The expiry events are triggers again.
//
// Delivery is at least once. Every command the dispatcher issues carries the
// triggering event's id as its idempotency key and causation id, so the
// command's events get ids derived from the trigger and a redelivered trigger
// is absorbed by the store's idempotent append; before acting the dispatcher
// also checks the order's stream for events caused by the trigger, so a
// trigger that led to an escalation is not turned into an offer on
// redelivery. A coordinator always wins: the commands are decided against
// the order as stored, and an order that is no longer placed is left alone.
// The order is read through the write side's cache of streams
// (StreamViewer), confirmed against the store, so the common trigger costs
// one short read and no decoding.
//
// Timers are durable because they are not timers: due offers come from a
// read model of pending offers (DueOffers), which a restart rebuilds or
// resumes, so nothing is lost when the process stops.
//
// Handle is the whole reaction to one event; Run follows the log with its own
// checkpoint, handling Config.Workers triggers at once (one order's always in
// log order), and runs the expiry ticker; Drain handles what is stored and
// returns, for tests and in-process tools. The read models it needs are
// interfaces (DueOffers, TeamOffers) with a fallback that folds the log
// (LogOffers); team availability comes through the write side's own
// app.TeamSource, which ranks the candidates.
package dispatcher
