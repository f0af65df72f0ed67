package dispatcher_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
)

func (e *env) suspend(team string) {
	e.t.Helper()
	if _, err := e.cmds.SuspendTeam(e.ctx, app.SuspendTeam{Envelope: app.Envelope{Actor: coordinator},
		TeamID: team, Reason: "on leave"}); err != nil {
		e.t.Fatalf("suspend %s: %v", team, err)
	}
}

func TestSuspendedTeamsOffersAreWithdrawnAndOfferedElsewhere(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	a, b := e.place(domain.CategoryErrand), e.place(domain.CategoryErrand)
	e.drain()
	e.offeredTo(a, "t-station")
	e.offeredTo(b, "t-station")

	e.suspend("t-station")
	e.drain() // the suspension: both offers withdrawn
	e.drain() // the withdrawals: both orders offered again
	for _, id := range []uuid.UUID{a, b} {
		e.offeredTo(id, "t-institute")
		if o := e.order(id); o.Withdrawals() != 1 || o.Refusals() != 0 {
			t.Errorf("order %s: expected 1 withdrawal counted as no refusal, found %d withdrawals, %d refusals",
				id, o.Withdrawals(), o.Refusals())
		}
	}
	if s := e.d.Stats(); s.Withdrawn != 2 || s.Offered != 4 {
		t.Errorf("stats: expected 2 withdrawn and 4 offered, found %+v", s)
	}
}

func TestSuspensionRedeliveredAfterResumeKeepsNewOffers(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.team("t-only", stationA, 5, domain.CategoryErrand)
	e.suspend("t-only")
	suspended := e.records(domain.TeamStream("t-only"))[1]
	if _, err := e.cmds.ResumeTeam(e.ctx, app.ResumeTeam{Envelope: app.Envelope{Actor: coordinator}, TeamID: "t-only"}); err != nil {
		t.Fatal(err)
	}
	id := e.place(domain.CategoryErrand)
	e.drain()
	e.offeredTo(id, "t-only")
	if err := e.d.Handle(e.ctx, suspended); err != nil {
		t.Fatal(err)
	}
	e.offeredTo(id, "t-only")
}
