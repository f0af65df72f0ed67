package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/ops"
	"github.com/paidan/paidan/projections"
)

// dispatcherCheckpointFile is the dispatcher's position in the data directory.
const dispatcherCheckpointFile = "dispatcher.checkpoint"

// dispatcherConfig takes PAIDAN_AUTO_DISPATCH and PAIDAN_MAX_OFFERS from the
// server's settings; PAIDAN_OFFER_TTL goes to the write side (app.Config),
// which makes every offer, automatic or not.
func dispatcherConfig(cfg ops.Config) dispatcher.Config {
	d := dispatcher.DefaultConfig()
	d.AutoDispatch = cfg.AutoDispatch
	if cfg.MaxOffers > 0 {
		d.MaxOffers = cfg.MaxOffers
	}
	// Offers expire within a tenth of their TTL, checked at least every second.
	d.TickInterval = min(time.Second, max(cfg.OfferTTL/10, 10*time.Millisecond))
	return d
}

// newDispatcher builds the dispatcher with its checkpoint in dataDir. deps
// needs Store, Commands and Logger; leave Due and TeamOffers unset to fold the
// log itself (dispatcher.LogOffers), or set both to a projectionOffers when
// the read models run in the process, as `paidan serve` does.
func newDispatcher(deps dispatcher.Deps, dataDir string, cfg dispatcher.Config) (*dispatcher.Dispatcher, error) {
	cp, err := dispatcher.NewFileCheckpoint(filepath.Join(dataDir, dispatcherCheckpointFile))
	if err != nil {
		return nil, err
	}
	deps.Checkpoint = cp
	return dispatcher.New(deps, cfg)
}

// startDispatcher runs a newDispatcher until stop is called or ctx ends; for
// the in-process tools, which have no read models.
func startDispatcher(ctx context.Context, deps dispatcher.Deps, dataDir string, cfg dispatcher.Config) (*dispatcher.Dispatcher, func(), error) {
	d, err := newDispatcher(deps, dataDir, cfg)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			deps.Logger.Error("dispatcher stopped", "error", err)
		}
	}()
	return d, func() { cancel(); <-done }, nil
}

// projectionOffers serves the dispatcher's due offers and a suspended team's
// offers from the offers read model.
type projectionOffers struct {
	reader   *projections.Reader
	pipeline *projections.Pipeline
}

var (
	_ dispatcher.DueOffers  = projectionOffers{}
	_ dispatcher.TeamOffers = projectionOffers{}
)

// DueOffers may lag the log: an offer answered meanwhile expires as a no-op.
func (p projectionOffers) DueOffers(ctx context.Context, now time.Time, limit int) ([]dispatcher.PendingOffer, error) {
	views, _, err := p.reader.DueOffers(ctx, now, limit)
	if err != nil {
		return nil, err
	}
	return pendingOffers(views)
}

// TeamOffers first waits for the offers model to reach the suspension.
func (p projectionOffers) TeamOffers(ctx context.Context, team string, upTo eventstore.Position) ([]dispatcher.PendingOffer, error) {
	if err := p.pipeline.WaitFor(ctx, upTo, projections.NameOffers); err != nil {
		return nil, fmt.Errorf("offers read model to reach %d: %w", upTo, err)
	}
	views, _, err := p.reader.PendingOffers(ctx, team)
	if err != nil {
		return nil, err
	}
	return pendingOffers(views)
}

func pendingOffers(views []projections.OfferView) ([]dispatcher.PendingOffer, error) {
	out := make([]dispatcher.PendingOffer, 0, len(views))
	for _, v := range views {
		order, err := uuid.Parse(v.OrderID)
		if err != nil {
			return nil, fmt.Errorf("offers read model: order id %q: %w", v.OrderID, err)
		}
		offer, err := uuid.Parse(v.OfferID)
		if err != nil {
			return nil, fmt.Errorf("offers read model: offer id %q: %w", v.OfferID, err)
		}
		out = append(out, dispatcher.PendingOffer{OrderID: order, OfferID: offer, TeamID: v.TeamID, ExpiresAt: v.ExpiresAt})
	}
	return out, nil
}
