package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore/memstore"
)

func TestNewValidates(t *testing.T) {
	mem, _ := memstore.New(memstore.Config{})
	defer mem.Close()
	cases := []struct {
		name string
		deps app.Deps
		cfg  app.Config
		ok   bool
	}{
		{"complete", app.Deps{Store: mem, Directory: domain.DemoDirectory()}, app.Config{}, true},
		{"no store", app.Deps{Directory: domain.DemoDirectory()}, app.Config{}, false},
		{"no directory", app.Deps{Store: mem}, app.Config{}, false},
		{"negative TTL", app.Deps{Store: mem, Directory: domain.DemoDirectory()}, app.Config{OfferTTL: -1}, false},
		{"negative attempts", app.Deps{Store: mem, Directory: domain.DemoDirectory()}, app.Config{Attempts: -1}, false},
	}
	for _, c := range cases {
		_, err := app.New(c.deps, c.cfg)
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestValidateIdempotencyKey(t *testing.T) {
	long := make([]byte, app.MaxIdempotencyKeyLength+1)
	for i := range long {
		long[i] = 'a'
	}
	for key, ok := range map[string]bool{"": true, "abc-123_:.": true, "with space": false, "tab\t": false, "ключ": false, string(long): false} {
		if err := app.ValidateIdempotencyKey(key); (err == nil) != ok {
			t.Errorf("key %q: %v, want ok=%v", key, err, ok)
		}
	}
}

func TestRegisterTeamRefusesBadIDs(t *testing.T) {
	f := newFixture(t, app.Config{})
	spec := domain.TeamSpec{Name: "队", StationID: f.station(0).ID, Skills: []domain.Category{domain.CategoryLegal}, Capacity: 1}
	before := f.head()
	for _, c := range []struct {
		id    string
		actor domain.Actor
		want  error
	}{
		{"has space", coordinator, domain.ErrInvalid},
		{"ok-id", resident, domain.ErrForbidden},
	} {
		_, err := f.cmds.RegisterTeam(context.Background(), app.RegisterTeam{Envelope: as(c.actor), TeamID: c.id, Spec: spec})
		if !errors.Is(err, c.want) {
			t.Errorf("register %q as %s: %v; want %v", c.id, c.actor.Role, err, c.want)
		}
	}
	if _, err := f.cmds.RegisterTeam(context.Background(), app.RegisterTeam{Envelope: as(coordinator), TeamID: "dup", Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cmds.RegisterTeam(context.Background(), app.RegisterTeam{Envelope: as(coordinator), TeamID: "dup", Spec: spec}); !errors.Is(err, domain.ErrTeamExists) {
		t.Errorf("registering an id twice: %v; want ErrTeamExists", err)
	}
	if f.head() != before+1 {
		t.Errorf("head %d → %d; want only the one registration", before, f.head())
	}
}
