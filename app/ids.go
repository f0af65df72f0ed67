package app

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// idNamespace is the namespace of every name-based id the commands derive.
// It never changes: ids derived from a key must be the same after an upgrade,
// or a retry across the upgrade would append twice.
var idNamespace = uuid.MustParse("6f0f7d1e-4c55-4a8e-9a43-5d2b8f1c0a77")

// ids gives a command's ids: derived from the idempotency key when there is
// one (the same on every retry), random otherwise.
type ids struct {
	name    string // the derivation's input; "" for random ids
	derived bool
}

// newIDs scopes derived ids to key, the actor's subject, the command and the
// stream (or another scope), so the same key used for another command, by
// another person or on another order derives other ids.
func newIDs(key, subject, command, scope string) ids {
	if key == "" {
		return ids{}
	}
	var b strings.Builder
	for _, part := range []string{key, subject, command, scope} {
		// Length-prefixed, so no choice of parts can collide with another.
		b.WriteString(strconv.Itoa(len(part)))
		b.WriteByte(':')
		b.WriteString(part)
		b.WriteByte('|')
	}
	return ids{name: b.String(), derived: true}
}

// named derives the id of one thing the command creates ("event-0",
// "command", "offer", "order"); without a key it is new and time-ordered
// (UUIDv7, random below the millisecond): the store's event-id index and the
// read models' order-keyed tables then take new rows at their right-hand
// end, a few pages per commit, where random ids dirtied a page apiece
// (bench e2e: 38.7–39.1 → 25.9–26.5 KB written per command; the A/B is in
// docs/performance.md). It tells the creation time to the millisecond,
// which every reader of the order sees anyway.
func (x ids) named(what string) uuid.UUID {
	if !x.derived {
		return uuid.Must(uuid.NewV7())
	}
	return uuid.NewSHA1(idNamespace, []byte(x.name+what))
}

// event is the id of the command's i-th event.
func (x ids) event(i int) uuid.UUID { return x.named("event-" + strconv.Itoa(i)) }
