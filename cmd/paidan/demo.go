package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/app/simulate"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// demoTokenTTL is how long the tokens printed at start stay valid.
const demoTokenTTL = 24 * time.Hour

// demoLoad is `serve --demo`'s simulated district as a task: it registers the
// district's teams (their ids derive from the generator's seed, so a restart
// registers nothing new) and keeps the gentle load running. When it fails,
// for instance because the event store went away, it starts again.
func demoLoad(cmds *app.Commands, store eventstore.Store, log *slog.Logger) func(ctx context.Context) error {
	log = log.With("component", "demo")
	return supervised("demo load", log, func(ctx context.Context) error {
		return runDemoLoad(ctx, cmds, store, log)
	})
}

// demoTeam is a team the demo registers, to print a team member's token for.
// It is the generator's first team, the same on every start.
func demoTeam(dir *domain.Directory) (domain.DistrictTeam, error) {
	c := simulate.DemoConfig()
	teams, err := domain.GenerateDistrict(dir, c.Teams, c.Seed)
	if err != nil {
		return domain.DistrictTeam{}, fmt.Errorf("demo district: %w", err)
	}
	if len(teams) == 0 {
		return domain.DistrictTeam{}, fmt.Errorf("demo district: expected %d teams, found none", c.Teams)
	}
	return teams[0], nil
}

// printDemoStart tells a newcomer what to open and signs them in: the
// dashboard's URL and a token for each kind of user. team is the demo team
// the team member's token is for; nil leaves that token out.
func printDemoStart(out io.Writer, url string, minter *auth.HMAC, team *domain.DistrictTeam) {
	fmt.Fprintf(out, "Dashboard: %s%s (sign in with the coordinator token below)\n", url, api.DashboardPath)
	fmt.Fprintf(out, "Tokens for trying the API (valid %.0f hours; mint more with `paidan token`):\n", demoTokenTTL.Hours())
	actors := []struct {
		actor domain.Actor
		note  string
	}{
		{domain.Actor{Subject: "demo-coordinator", Role: domain.RoleCoordinator}, ""},
		{domain.Actor{Subject: "demo-resident", Role: domain.RoleResident}, ""},
		{domain.Actor{Subject: "demo-auditor", Role: domain.RoleAuditor}, ""},
		{domain.Actor{Subject: "demo-analyst", Role: domain.RoleAnalyst}, ""},
	}
	if team != nil {
		actors = append(actors, struct {
			actor domain.Actor
			note  string
		}{domain.Actor{Subject: "demo-volunteer", Role: domain.RoleTeam, TeamID: team.ID},
			fmt.Sprintf("  (a member of team %s %q at station %s)", team.ID, team.Spec.Name, team.Spec.StationID)})
	}
	for _, a := range actors {
		tok, err := minter.Mint(a.actor, demoTokenTTL)
		if err != nil {
			fmt.Fprintf(out, "  %-11s (could not mint: %v)\n", a.actor.Role, err)
			continue
		}
		fmt.Fprintf(out, "  %-11s %s%s\n", a.actor.Role, tok, a.note)
	}
}
