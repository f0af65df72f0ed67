package domain

import (
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
)

// Order commands. Each returns the events that should happen, or an error
// wrapping one of the specific errors (and through it its class); none
// changes the order. The caller appends the events, then applies them.
// Times are passed in (now) and recorded in UTC.
//
// The command's own values are checked before the order's state: a request
// that could never succeed is told what is wrong with it (ErrInvalid, 422),
// not that the order is not ready for it now (ErrConflict, 409), which would
// send its caller to wait and retry the same bad values.

// NewOrder is a resident's request for a service.
type NewOrder struct {
	// ID is the new order's id, chosen by the caller (random, or derived from
	// an idempotency key); required.
	ID        uuid.UUID
	Category  Category
	Title     string
	Details   string
	StationID string
	Contact   string
}

// PlaceOrder decides whether a resident may place an order and returns its
// first event. The station must be in dir; the institute comes from it.
func PlaceOrder(dir *Directory, by Actor, in NewOrder, now time.Time) (OrderPlaced, error) {
	if by.Role != RoleResident {
		return OrderPlaced{}, fmt.Errorf("%w: placing an order needs role resident, found %q", ErrRoleNotAllowed, by.Role)
	}
	if by.Subject == "" {
		return OrderPlaced{}, &ValidationError{Field: "resident", Reason: "expected the resident's subject, found none"}
	}
	if in.ID == uuid.Nil {
		return OrderPlaced{}, &ValidationError{Field: "order_id", Reason: "expected a non-nil UUID"}
	}
	if err := in.Category.validate("category"); err != nil {
		return OrderPlaced{}, err
	}
	if err := checkText("title", in.Title, MaxTitleRunes, true); err != nil {
		return OrderPlaced{}, err
	}
	if err := checkText("details", in.Details, MaxDetailsRunes, false); err != nil {
		return OrderPlaced{}, err
	}
	if err := checkText("contact", in.Contact, MaxContactRunes, false); err != nil {
		return OrderPlaced{}, err
	}
	st, err := dir.checkStation("station_id", in.StationID)
	if err != nil {
		return OrderPlaced{}, err
	}
	return OrderPlaced{
		OrderID: in.ID, Resident: by.Subject, Category: in.Category, Title: in.Title,
		Details: in.Details, StationID: st.ID, InstituteID: st.InstituteID, Contact: in.Contact,
		PlacedAt: now.UTC(),
	}, nil
}

// OfferRequest asks for an order to be offered to a team.
type OfferRequest struct {
	// OfferID identifies the offer; required (derive it from the trigger for
	// idempotent redelivery).
	OfferID uuid.UUID
	// TeamID is the team offered the order; required.
	TeamID string
	// ExpiresAt is when the offer lapses; required, after now.
	ExpiresAt time.Time
	// Decision records the ranking behind the choice; optional. Record
	// RankTeams(…).Summary(DecisionRecordLimit), not the full decision; for a
	// coordinator's choice set Chosen to the team picked.
	Decision *DispatchDecision
}

// Offer offers the order to a team. The dispatcher (RoleSystem) makes
// automatic offers, only to a placed order and never to a team that refused
// it; a coordinator or admin dispatches by hand a placed or escalated order,
// to any team, and may reassign an offered one: the pending offer is
// withdrawn and the new one made, in that order.
func (o *Order) Offer(by Actor, req OfferRequest, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	automatic := by.Role == RoleSystem
	if !automatic && !by.isDispatcher() {
		return nil, fmt.Errorf("%w: dispatching needs role coordinator or admin, found %q", ErrRoleNotAllowed, by.Role)
	}
	if req.OfferID == uuid.Nil {
		return nil, &ValidationError{Field: "offer_id", Reason: "expected a non-nil UUID"}
	}
	if err := checkID("team_id", req.TeamID); err != nil {
		return nil, err
	}
	if !req.ExpiresAt.After(now) {
		return nil, &ValidationError{Field: "expires_at",
			Reason: fmt.Sprintf("expected a time after %s, found %s", now.UTC().Format(time.RFC3339), req.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	var events []Event
	switch o.status {
	case StatusPlaced:
	case StatusEscalated:
		if automatic {
			return nil, ErrEscalated
		}
	case StatusOffered:
		if automatic {
			return nil, fmt.Errorf("%w: offer %s to team %s is pending", ErrAlreadyOffered, o.offer.ID, o.offer.TeamID)
		}
		if o.offer.TeamID == req.TeamID {
			// The coordinator wants what already holds (typically the
			// dispatcher got there first): nothing to do, not a conflict. The
			// pending offer keeps its id and expiry.
			return nil, nil
		}
		events = append(events, OfferWithdrawn{
			OrderID: o.id, OfferID: o.offer.ID, TeamID: o.offer.TeamID, By: by.Subject,
			Reason: "reassigned by a coordinator to team " + req.TeamID, WithdrawnAt: now.UTC(),
		})
	default:
		return nil, o.stateError()
	}
	if automatic && o.hasRefused(req.TeamID) {
		return nil, fmt.Errorf("%w: team %s", ErrTeamRefused, req.TeamID)
	}
	offered := OrderOffered{
		OrderID: o.id, OfferID: req.OfferID, TeamID: req.TeamID,
		ExpiresAt: req.ExpiresAt.UTC(), OfferedAt: now.UTC(), Automatic: automatic,
		Attempt: o.offers + 1, Category: o.category, StationID: o.station, InstituteID: o.institute,
		Decision: req.Decision,
	}
	if !automatic {
		offered.By = by.Subject
	}
	return append(events, offered), nil
}

// Accept takes the pending offer for the actor's team. offerID names the
// offer answered; uuid.Nil means the current one.
func (o *Order) Accept(by Actor, offerID uuid.UUID, now time.Time) ([]Event, error) {
	off, err := o.answerable(by, offerID)
	if err != nil {
		return nil, err
	}
	if !now.Before(off.ExpiresAt) {
		return nil, fmt.Errorf("%w: offer %s expired at %s, it is now %s", ErrOfferExpired, off.ID,
			off.ExpiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return []Event{OfferAccepted{OrderID: o.id, OfferID: off.ID, TeamID: off.TeamID, By: by.Subject,
		AcceptedAt: now.UTC()}}, nil
}

// Decline refuses the pending offer for the actor's team; the order is placed
// again and never offered automatically to that team again. A team may
// decline an offer whose time has passed but that has not been expired yet.
func (o *Order) Decline(by Actor, offerID uuid.UUID, reason string, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	if err := checkText("reason", reason, MaxReasonRunes, false); err != nil {
		return nil, err
	}
	off, err := o.answerable(by, offerID)
	if err != nil {
		return nil, err
	}
	return []Event{OfferDeclined{OrderID: o.id, OfferID: off.ID, TeamID: off.TeamID, By: by.Subject,
		Reason: reason, DeclinedAt: now.UTC()}}, nil
}

// Expire lapses an offer that was not answered in time. If that offer is no
// longer pending (accepted, declined, withdrawn, or the order moved on) there
// is nothing to do: no events and no error, so a late timer is harmless.
// Expiring a pending offer before its time is refused (ErrOfferNotDue).
func (o *Order) Expire(offerID uuid.UUID, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	if o.offer == nil || o.offer.ID != offerID {
		return nil, nil
	}
	if now.Before(o.offer.ExpiresAt) {
		return nil, fmt.Errorf("%w: offer %s expires at %s, it is now %s", ErrOfferNotDue, offerID,
			o.offer.ExpiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return []Event{OfferExpired{OrderID: o.id, OfferID: offerID, TeamID: o.offer.TeamID, ExpiredAt: now.UTC()}}, nil
}

// Withdraw takes a pending offer back (its team was suspended); the order is
// placed again and the team is not counted as refusing it. The dispatcher or
// a coordinator or admin may withdraw. offerID names the offer; uuid.Nil
// means the current one. As with Expire, withdrawing an offer that is no
// longer pending is a no-op.
func (o *Order) Withdraw(by Actor, offerID uuid.UUID, reason string, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	if !by.isStaffOrSystem() {
		return nil, fmt.Errorf("%w: withdrawing an offer needs role coordinator, admin or system, found %q", ErrRoleNotAllowed, by.Role)
	}
	if err := checkText("reason", reason, MaxReasonRunes, false); err != nil {
		return nil, err
	}
	if o.offer == nil || (offerID != uuid.Nil && o.offer.ID != offerID) {
		return nil, nil
	}
	return []Event{OfferWithdrawn{OrderID: o.id, OfferID: o.offer.ID, TeamID: o.offer.TeamID, By: by.Subject,
		Reason: reason, WithdrawnAt: now.UTC()}}, nil
}

// Escalate hands a placed order to the coordinators: the dispatcher ran out
// of offers or candidates. The dispatcher, a coordinator or an admin may.
func (o *Order) Escalate(by Actor, reason string, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	if !by.isStaffOrSystem() {
		return nil, fmt.Errorf("%w: escalating needs role coordinator, admin or system, found %q", ErrRoleNotAllowed, by.Role)
	}
	if err := checkText("reason", reason, MaxReasonRunes, true); err != nil {
		return nil, err
	}
	switch o.status {
	case StatusPlaced:
	case StatusEscalated:
		return nil, ErrAlreadyEscalated
	case StatusOffered:
		return nil, fmt.Errorf("%w: offer %s to team %s is pending", ErrNotEscalatable, o.offer.ID, o.offer.TeamID)
	default:
		if err := o.closedError(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: status is %s", ErrNotEscalatable, o.status)
	}
	return []Event{OrderEscalated{OrderID: o.id, Reason: reason, Attempts: o.offers, EscalatedAt: now.UTC()}}, nil
}

// StartService records that the accepting team began serving (optional
// between accepted and completed).
func (o *Order) StartService(by Actor, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	switch o.status {
	case StatusAccepted:
	case StatusInService:
		return nil, ErrAlreadyStarted
	default:
		return nil, o.notAcceptedError()
	}
	if err := o.assignedTo(by); err != nil {
		return nil, err
	}
	return []Event{ServiceStarted{OrderID: o.id, TeamID: o.acceptedTeam, StartedAt: now.UTC()}}, nil
}

// Complete records that the accepting team finished: hours in (0, 24], notes
// up to 2,000 characters.
func (o *Order) Complete(by Actor, volunteerHours float64, notes string, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	if math.IsNaN(volunteerHours) || volunteerHours <= 0 || volunteerHours > MaxVolunteerHours {
		return nil, &ValidationError{Field: "volunteer_hours",
			Reason: fmt.Sprintf("expected more than 0 and at most %d hours, found %g", MaxVolunteerHours, volunteerHours)}
	}
	if err := checkText("notes", notes, MaxNotesRunes, false); err != nil {
		return nil, err
	}
	if o.status != StatusAccepted && o.status != StatusInService {
		return nil, o.notAcceptedError()
	}
	if err := o.assignedTo(by); err != nil {
		return nil, err
	}
	return []Event{OrderCompleted{OrderID: o.id, TeamID: o.acceptedTeam, VolunteerHours: volunteerHours,
		Notes: notes, Category: o.category, StationID: o.station, InstituteID: o.institute,
		CompletedAt: now.UTC()}}, nil
}

// Rate records the resident's rating of a completed order: 1 to 5 stars,
// a comment up to 1,000 characters, once; only the resident who placed it.
func (o *Order) Rate(by Actor, stars int, comment string, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	if by.Role != RoleResident || by.Subject != o.resident {
		return nil, ErrNotYourOrder
	}
	if stars < 1 || stars > 5 {
		return nil, &ValidationError{Field: "stars", Reason: fmt.Sprintf("expected 1 to 5, found %d", stars)}
	}
	if err := checkText("comment", comment, MaxCommentRunes, false); err != nil {
		return nil, err
	}
	switch o.status {
	case StatusCompleted:
	case StatusRated:
		return nil, ErrAlreadyRated
	case StatusCancelled:
		return nil, ErrAlreadyCancelled
	default:
		return nil, fmt.Errorf("%w: status is %s", ErrNotCompleted, o.status)
	}
	return []Event{OrderRated{OrderID: o.id, TeamID: o.acceptedTeam, Stars: stars, Comment: comment,
		Category: o.category, StationID: o.station, InstituteID: o.institute, RatedAt: now.UTC()}}, nil
}

// Cancel calls the order off, in any state before completion: the resident
// who placed it, or a coordinator or admin.
func (o *Order) Cancel(by Actor, reason string, now time.Time) ([]Event, error) {
	if err := o.exists(); err != nil {
		return nil, err
	}
	switch {
	case by.isDispatcher():
	case by.Role == RoleResident && by.Subject == o.resident:
	case by.Role == RoleResident:
		return nil, ErrNotYourOrder
	default:
		return nil, fmt.Errorf("%w: cancelling needs the placing resident, a coordinator or an admin, found role %q",
			ErrRoleNotAllowed, by.Role)
	}
	if err := checkText("reason", reason, MaxReasonRunes, false); err != nil {
		return nil, err
	}
	if err := o.closedError(); err != nil {
		return nil, err
	}
	return []Event{OrderCancelled{OrderID: o.id, By: by.Subject, ByRole: by.Role, Reason: reason,
		TeamID: o.AssignedTeam(), CancelledAt: now.UTC()}}, nil
}

// exists refuses commands on an order that was never placed (a zero Order).
func (o *Order) exists() error {
	if o == nil || o.applied == 0 {
		return ErrOrderNotFound
	}
	return nil
}

// answerable checks that actor's team may answer offer offerID (Nil: the
// current one) now, and returns the offer.
func (o *Order) answerable(by Actor, offerID uuid.UUID) (Offer, error) {
	if err := o.exists(); err != nil {
		return Offer{}, err
	}
	if o.status != StatusOffered {
		return Offer{}, o.stateError()
	}
	if by.Role != RoleTeam || by.TeamID != o.offer.TeamID {
		return Offer{}, ErrNotYourOffer
	}
	if offerID != uuid.Nil && offerID != o.offer.ID {
		return Offer{}, fmt.Errorf("%w: answered offer %s, the current offer is %s", ErrOfferNotCurrent, offerID, o.offer.ID)
	}
	return *o.offer, nil
}

// assignedTo checks that actor acts for the accepting team.
func (o *Order) assignedTo(by Actor) error {
	if by.Role != RoleTeam || by.TeamID != o.acceptedTeam {
		return ErrNotAssignedTeam
	}
	return nil
}

func (o *Order) hasRefused(team string) bool {
	for _, t := range o.refused {
		if t == team {
			return true
		}
	}
	return false
}

// closedError is the refusal for a change to a finished order, or nil.
func (o *Order) closedError() error {
	switch o.status {
	case StatusCancelled:
		return ErrAlreadyCancelled
	case StatusCompleted, StatusRated:
		return fmt.Errorf("%w: status is %s", ErrOrderClosed, o.status)
	}
	return nil
}

// stateError is the refusal for answering or offering in a status where no
// offer can be pending.
func (o *Order) stateError() error {
	if err := o.closedError(); err != nil {
		return err
	}
	switch o.status {
	case StatusAccepted, StatusInService:
		return fmt.Errorf("%w: by team %s", ErrAlreadyAccepted, o.acceptedTeam)
	}
	return fmt.Errorf("%w: status is %s", ErrNotOffered, o.status)
}

// notAcceptedError is the refusal for serving an order nobody accepted.
func (o *Order) notAcceptedError() error {
	if err := o.closedError(); err != nil {
		return err
	}
	return fmt.Errorf("%w: status is %s", ErrNotAccepted, o.status)
}
