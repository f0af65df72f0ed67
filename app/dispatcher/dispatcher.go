package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// Actor is who the dispatcher's commands are issued by, as event metadata
// records it.
var Actor = domain.SystemActor("dispatcher")

// Deps are what the dispatcher needs.
type Deps struct {
	// Store is read for the trigger events and the orders' streams; required.
	Store eventstore.Store
	// Commands is the write side; required (an *app.Commands).
	Commands Commander
	// Due lists offers past their expiry; optional, default a LogOffers
	// over Store (shared with TeamOffers when both are defaulted).
	Due DueOffers
	// TeamOffers lists a team's pending offers; optional, default as Due.
	TeamOffers TeamOffers
	// Checkpoint keeps Run's position; optional, default an in-memory one
	// (a restart then reads the whole log again, which is safe but slow).
	Checkpoint Checkpoint
	// Clock says when offers are due; optional, default time.Now. Give it
	// the clock the commands use, or the domain may find an offer not due.
	Clock app.Clock
	// Logger is optional; default slog.Default().
	Logger *slog.Logger
}

// Stats counts what the dispatcher did since it was built.
type Stats struct {
	Handled     int64 // trigger events handled
	Offered     int64 // automatic offers made
	Escalated   int64 // orders escalated
	Expired     int64 // offers expired
	Withdrawn   int64 // offers withdrawn from suspended teams
	Redelivered int64 // triggers found already handled
	Superseded  int64 // triggers left alone because the order had moved on
	Failed      int64 // events given up after Config.MaxAttempts
}

// Dispatcher is the process manager. Handle and ExpireDue are safe for
// concurrent use; Run and Drain each follow the log from the checkpoint and
// must not run at the same time as each other.
type Dispatcher struct {
	store      eventstore.Store
	cmds       Commander
	due        DueOffers
	teamOffers TeamOffers
	cp         Checkpoint
	clock      app.Clock
	log        *slog.Logger
	cfg        Config

	follow sync.Mutex // held by Run and Drain

	handled, offered, escalated, expired, withdrawn atomic.Int64
	redelivered, superseded, failed                 atomic.Int64
	caughtUp                                        atomic.Bool
}

// New builds a dispatcher.
func New(deps Deps, cfg Config) (*Dispatcher, error) {
	var errs []error
	if deps.Store == nil {
		errs = append(errs, errors.New("store: required"))
	}
	if deps.Commands == nil {
		errs = append(errs, errors.New("commands: required"))
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("dispatcher: %w", err)
	}
	cfg.setDefaults()
	if deps.Due == nil || deps.TeamOffers == nil {
		lo, err := NewLogOffers(deps.Store)
		if err != nil {
			return nil, fmt.Errorf("dispatcher: %w", err)
		}
		if deps.Due == nil {
			deps.Due = lo
		}
		if deps.TeamOffers == nil {
			deps.TeamOffers = lo
		}
	}
	if deps.Checkpoint == nil {
		deps.Checkpoint = &MemCheckpoint{}
	}
	if deps.Clock == nil {
		deps.Clock = app.ClockFunc(time.Now)
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	return &Dispatcher{store: deps.Store, cmds: deps.Commands, due: deps.Due, teamOffers: deps.TeamOffers,
		cp: deps.Checkpoint, clock: deps.Clock, log: deps.Logger.With("component", "dispatcher"), cfg: cfg}, nil
}

// Stats returns the counters.
func (d *Dispatcher) Stats() Stats {
	return Stats{
		Handled: d.handled.Load(), Offered: d.offered.Load(), Escalated: d.escalated.Load(),
		Expired: d.expired.Load(), Withdrawn: d.withdrawn.Load(), Redelivered: d.redelivered.Load(),
		Superseded: d.superseded.Load(), Failed: d.failed.Load(),
	}
}

// CaughtUp reports whether Run has handled every event stored when it
// subscribed (a readiness check).
func (d *Dispatcher) CaughtUp() bool { return d.caughtUp.Load() }

// triggerTypes are the events the dispatcher reacts to.
var triggerTypes = []string{
	domain.EventTypeOrderPlaced, domain.EventTypeOfferDeclined, domain.EventTypeOfferExpired,
	domain.EventTypeOfferWithdrawn, domain.EventTypeTeamSuspended,
}

// Filter selects the trigger events from the global log, for Run's
// subscription and for any runner that feeds Handle.
func Filter() eventstore.Filter {
	return eventstore.Filter{TypePrefixes: append([]string(nil), triggerTypes...)}
}

// Handle is the dispatcher's reaction to one recorded event; events it does
// not react to are ignored. It is idempotent: handling an event again,
// at any later time, issues no second offer, escalation or withdrawal. An
// error means the reaction may be incomplete and the event should be
// delivered again; decisions the domain refuses because the order moved on
// are not errors.
func (d *Dispatcher) Handle(ctx context.Context, ev eventstore.RecordedEvent) error {
	switch ev.Type {
	case domain.EventTypeOrderPlaced, domain.EventTypeOfferDeclined,
		domain.EventTypeOfferExpired, domain.EventTypeOfferWithdrawn:
		d.handled.Add(1)
		return d.placeOrder(ctx, ev)
	case domain.EventTypeTeamSuspended:
		d.handled.Add(1)
		return d.withdrawTeam(ctx, ev)
	}
	return nil
}
