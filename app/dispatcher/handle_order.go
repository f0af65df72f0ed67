package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// placeOrder answers an event after which the order is placed and waits for
// a team: offer it to the best candidate, or escalate it.
func (d *Dispatcher) placeOrder(ctx context.Context, ev eventstore.RecordedEvent) error {
	if !d.cfg.AutoDispatch {
		return nil
	}
	orderID, err := domain.ParseOrderStream(ev.StreamID)
	if err != nil {
		d.log.Warn("trigger outside an order stream ignored", "stream", ev.StreamID, "type", ev.Type, "error", err)
		return nil
	}
	t := newTrigger(ev)
	o, handled, err := d.loadOrder(ctx, ev.StreamID, t)
	switch {
	case err != nil:
		return fmt.Errorf("dispatcher: %s at %d: %w", ev.Type, ev.Position, err)
	case o == nil:
		return nil
	case handled:
		d.redelivered.Add(1)
		return nil
	case o.Status() != domain.StatusPlaced:
		// A coordinator dispatched, reassigned or cancelled, or a later
		// trigger already placed it: the order as stored wins.
		d.superseded.Add(1)
		return nil
	}
	if n := o.Refusals(); n >= d.cfg.MaxOffers {
		reason := fmt.Sprintf("%d offers were declined or left to expire (teams %s); the limit is %d",
			n, strings.Join(o.RefusedTeams(), ", "), d.cfg.MaxOffers)
		return d.escalate(ctx, orderID, t, reason)
	}
	res, err := d.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: t.envelope(), OrderID: orderID})
	switch {
	case errors.Is(err, app.ErrNoCandidate):
		return d.escalate(ctx, orderID, t, noCandidateReason(o, err))
	case errors.Is(err, domain.ErrConflict):
		d.superseded.Add(1)
		return nil
	case err != nil:
		return fmt.Errorf("dispatcher: offer order %s after %s: %w", orderID, ev.Type, err)
	case res.Replayed:
		d.redelivered.Add(1)
	default:
		d.offered.Add(1)
	}
	return nil
}

func (d *Dispatcher) escalate(ctx context.Context, orderID uuid.UUID, t trigger, reason string) error {
	res, err := d.cmds.EscalateOrder(ctx, app.EscalateOrder{Envelope: t.envelope(), OrderID: orderID, Reason: clip(reason)})
	switch {
	case errors.Is(err, domain.ErrConflict):
		d.superseded.Add(1)
		return nil
	case err != nil:
		return fmt.Errorf("dispatcher: escalate order %s: %w", orderID, err)
	case res.Replayed:
		d.redelivered.Add(1)
	default:
		d.escalated.Add(1)
	}
	return nil
}

// noCandidateReason explains an empty ranking to the coordinators who must
// now choose a team by hand.
func noCandidateReason(o *domain.Order, err error) string {
	msg := err.Error()
	// The app's message names what was excluded and why; keep that part.
	if i := strings.Index(msg, app.ErrNoCandidate.Error()); i >= 0 {
		msg = msg[i:]
	}
	reason := "no candidate: " + msg
	if n := o.Refusals(); n > 0 {
		reason += fmt.Sprintf("; %d teams refused it before (%s)", n, strings.Join(o.RefusedTeams(), ", "))
	}
	return reason
}

// clip keeps a reason within the domain's limit.
func clip(s string) string {
	r := []rune(s)
	if len(r) <= domain.MaxReasonRunes {
		return s
	}
	return string(r[:domain.MaxReasonRunes-1]) + "…"
}
