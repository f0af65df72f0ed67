package dispatcher

import (
	"context"
	"errors"
	"fmt"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// withdrawTeam answers TeamSuspended: each pending offer of the team is
// withdrawn; the withdrawals are triggers in turn, which re-offer the orders.
func (d *Dispatcher) withdrawTeam(ctx context.Context, ev eventstore.RecordedEvent) error {
	teamID, err := domain.ParseTeamStream(ev.StreamID)
	if err != nil {
		d.log.Warn("suspension outside a team stream ignored", "stream", ev.StreamID, "error", err)
		return nil
	}
	// A suspension delivered again after the team was resumed must not
	// take back the offers made to it since.
	resumed, err := d.resumedAfter(ctx, ev)
	if err != nil {
		return err
	}
	if resumed {
		d.superseded.Add(1)
		return nil
	}
	offers, err := d.teamOffers.TeamOffers(ctx, teamID, ev.Position)
	if err != nil {
		return fmt.Errorf("dispatcher: pending offers of suspended team %s: %w", teamID, err)
	}
	t := newTrigger(ev)
	var errs []error
	for _, off := range offers {
		res, err := d.cmds.WithdrawOffer(ctx, app.WithdrawOffer{Envelope: t.envelope(), OrderID: off.OrderID,
			OfferID: off.OfferID, Reason: "team " + teamID + " was suspended"})
		switch {
		case errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrNotFound):
			d.superseded.Add(1)
		case err != nil:
			errs = append(errs, fmt.Errorf("dispatcher: withdraw offer %s of order %s from suspended team %s: %w",
				off.OfferID, off.OrderID, teamID, err))
		case res.Replayed:
			d.redelivered.Add(1)
		case len(res.Events) > 0:
			d.withdrawn.Add(1)
		}
	}
	return errors.Join(errs...)
}

// resumedAfter reports whether the team stream holds a TeamResumed after the
// suspension ev.
func (d *Dispatcher) resumedAfter(ctx context.Context, ev eventstore.RecordedEvent) (bool, error) {
	from := ev.Revision + 1
	for {
		page, err := d.store.ReadStream(ctx, ev.StreamID, eventstore.ReadStreamOptions{From: from, Limit: readPage})
		if err != nil {
			return false, fmt.Errorf("dispatcher: read %s after revision %d: %w", ev.StreamID, ev.Revision, err)
		}
		for _, rec := range page {
			if rec.Type == domain.EventTypeTeamResumed {
				return true, nil
			}
		}
		if len(page) < readPage {
			return false, nil
		}
		from = page[len(page)-1].Revision + 1
	}
}
