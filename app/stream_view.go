package app

import (
	"context"
	"slices"

	"github.com/paidan/paidan/domain"
)

// StreamView is a stream as stored: its decoded events and who caused them.
type StreamView struct {
	l loaded
}

// ViewStream returns a stream as stored at the call, for a process manager
// deciding what to command next. It goes through the commands' cache: only
// the events the cache lacks are read and decoded (usually none: the last
// cached event is read again to learn that nothing follows it), and the
// cache keeps what was read. A stream never written has no events.
func (c *Commands) ViewStream(ctx context.Context, stream string) (StreamView, error) {
	l, err := c.read(ctx, stream)
	if err == nil && !l.confirmed {
		l, err = c.refresh(ctx, stream, l)
	}
	if err != nil {
		return StreamView{}, err
	}
	return StreamView{l: l}, nil
}

// Events are the stream's decoded events, oldest first; the slice is the
// caller's.
func (v StreamView) Events() []domain.Event { return slices.Clone(v.l.history) }

// Next is the revision the stream's next event gets (0 for no events).
func (v StreamView) Next() uint64 { return v.l.next() }

// CausedBy reports whether any event of the stream was written by a command
// that actor issued with this causation id (Envelope.CausationID).
func (v StreamView) CausedBy(causation string, actor domain.Actor) bool {
	for _, r := range v.l.records {
		if c := r.cause; c != nil && c.id == causation && c.role == actor.Role && c.subject == actor.Subject {
			return true
		}
	}
	return false
}
