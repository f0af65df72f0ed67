package dispatcher

import (
	"context"
	"errors"
	"fmt"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
)

// ExpireDue expires the offers whose time has passed, at most
// Config.ExpireBatch of them, and returns how many it expired. Offers
// answered meanwhile, or listed again by a lagging read model, are skipped
// without error: the command finds nothing to do.
func (d *Dispatcher) ExpireDue(ctx context.Context) (int, error) {
	due, err := d.due.DueOffers(ctx, d.clock.Now(), d.cfg.ExpireBatch)
	if err != nil {
		return 0, fmt.Errorf("dispatcher: due offers: %w", err)
	}
	n := 0
	var errs []error
	for _, off := range due {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		res, err := d.cmds.ExpireOffer(ctx, app.ExpireOffer{
			Envelope: app.Envelope{Actor: Actor, CausationID: off.OfferID.String()},
			OrderID:  off.OrderID, OfferID: off.OfferID,
		})
		switch {
		case errors.Is(err, domain.ErrConflict), errors.Is(err, domain.ErrNotFound):
			// Not due by the command's clock, or the order is gone from
			// under a stale read model: the next tick will see.
		case err != nil:
			errs = append(errs, fmt.Errorf("dispatcher: expire offer %s of order %s: %w", off.OfferID, off.OrderID, err))
		case len(res.Events) > 0 && !res.Replayed:
			n++
			d.expired.Add(1)
		}
	}
	return n, errors.Join(errs...)
}
