package simulate

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// InProcess drives the command handlers directly and reads orders from the
// store: no HTTP, no tokens, for tests, benchmarks and `serve --demo`.
type InProcess struct {
	cmds  *app.Commands
	store eventstore.Store
}

var _ Driver = (*InProcess)(nil)

// NewInProcess drives cmds and reads store.
func NewInProcess(cmds *app.Commands, store eventstore.Store) (*InProcess, error) {
	if cmds == nil || store == nil {
		return nil, errors.New("simulate: in-process driver: commands and store are required")
	}
	return &InProcess{cmds: cmds, store: store}, nil
}

var simCoordinator = domain.Actor{Subject: "sim-coordinator", Role: domain.RoleCoordinator}

func residentActor(s string) domain.Actor { return domain.Actor{Subject: s, Role: domain.RoleResident} }

func memberActor(team string) domain.Actor {
	return domain.Actor{Subject: "sim-member-" + team, Role: domain.RoleTeam, TeamID: team}
}

func env(a domain.Actor) app.Envelope { return app.Envelope{Actor: a} }

// RegisterTeam registers the team under its generated id; an id already
// registered is taken as this team.
func (d *InProcess) RegisterTeam(ctx context.Context, t domain.DistrictTeam) (string, error) {
	_, err := d.cmds.RegisterTeam(ctx, app.RegisterTeam{Envelope: env(simCoordinator), TeamID: t.ID, Spec: t.Spec})
	if errors.Is(err, domain.ErrTeamExists) {
		return t.ID, nil
	}
	return t.ID, err
}

func (d *InProcess) PlaceOrder(ctx context.Context, resident string, o NewOrder) (uuid.UUID, error) {
	res, err := d.cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: env(residentActor(resident)),
		Category: o.Category, Title: o.Title, Details: o.Details, StationID: o.StationID, Contact: o.Contact})
	return res.OrderID, err
}

func (d *InProcess) Order(ctx context.Context, id uuid.UUID) (OrderView, error) {
	stream := domain.OrderStream(id)
	var history []domain.Event
	for from := eventstore.StreamStart; ; {
		page, err := d.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: 256})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return OrderView{}, fmt.Errorf("order %s: %w", id, domain.ErrOrderNotFound)
		}
		if err != nil {
			return OrderView{}, err
		}
		for _, rec := range page {
			e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
			if err != nil {
				return OrderView{}, err
			}
			history = append(history, e)
		}
		if len(page) < 256 {
			break
		}
		from = page[len(page)-1].Revision + 1
	}
	return viewOf(history)
}

func (d *InProcess) Accept(ctx context.Context, team string, order, offer uuid.UUID) error {
	_, err := d.cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: env(memberActor(team)), OrderID: order, OfferID: offer})
	return err
}

func (d *InProcess) Decline(ctx context.Context, team string, order, offer uuid.UUID, reason string) error {
	_, err := d.cmds.DeclineOffer(ctx, app.DeclineOffer{Envelope: env(memberActor(team)), OrderID: order, OfferID: offer, Reason: reason})
	return err
}

func (d *InProcess) Start(ctx context.Context, team string, order uuid.UUID) error {
	_, err := d.cmds.StartService(ctx, app.StartService{Envelope: env(memberActor(team)), OrderID: order})
	return err
}

func (d *InProcess) Complete(ctx context.Context, team string, order uuid.UUID, hours float64, notes string) error {
	_, err := d.cmds.CompleteOrder(ctx, app.CompleteOrder{Envelope: env(memberActor(team)), OrderID: order,
		VolunteerHours: hours, Notes: notes})
	return err
}

func (d *InProcess) Rate(ctx context.Context, resident string, order uuid.UUID, stars int, comment string) error {
	_, err := d.cmds.RateOrder(ctx, app.RateOrder{Envelope: env(residentActor(resident)), OrderID: order,
		Stars: stars, Comment: comment})
	return err
}

func (d *InProcess) Cancel(ctx context.Context, resident string, order uuid.UUID, reason string) error {
	_, err := d.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: env(residentActor(resident)), OrderID: order, Reason: reason})
	return err
}
