package dispatcher_test

import (
	"os"
	"testing"
	"time"

	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func TestLogOffersFollowsPendingOffers(t *testing.T) {
	cfg := dispatcher.DefaultConfig()
	e := newEnv(t, cfg)
	e.threeTeams()
	lo, err := dispatcher.NewLogOffers(e.store)
	if err != nil {
		t.Fatal(err)
	}
	a := e.place(domain.CategoryErrand)
	e.drain()
	e.clock.Advance(ttl / 2)
	b := e.place(domain.CategoryErrand)
	c := e.place(domain.CategoryErrand)
	e.drain()

	mine, err := lo.TeamOffers(e.ctx, "t-station", e.head())
	if err != nil || len(mine) != 3 || mine[0].OrderID != a {
		t.Fatalf("TeamOffers(t-station): expected 3 offers, a's first (earliest expiry), found %+v, %v", mine, err)
	}
	if _, err := e.cmds.AcceptOffer(e.ctx, acceptAs("t-station", b)); err != nil {
		t.Fatal(err)
	}
	e.decline(c, "t-station")
	e.drain() // c goes to t-institute

	cases := []struct {
		name    string
		advance int // halves of the TTL past the second batch's offers
		limit   int
		want    int
	}{
		{"nothing due yet", 0, 10, 0},
		{"the first offer due", 1, 10, 1},
		{"all due", 2, 10, 2},
		{"limited", 2, 1, 1},
	}
	start := e.clock.Now()
	for _, tc := range cases {
		now := start.Add(time.Duration(tc.advance) * ttl / 2)
		due, err := lo.DueOffers(e.ctx, now, tc.limit)
		if err != nil || len(due) != tc.want {
			t.Errorf("%s: expected %d due offers, found %+v, %v", tc.name, tc.want, due, err)
			continue
		}
		if tc.want > 0 && due[0].OrderID != a {
			t.Errorf("%s: expected a's offer first, found %s", tc.name, due[0].OrderID)
		}
	}
	if mine, _ := lo.TeamOffers(e.ctx, "t-station", e.head()); len(mine) != 1 || mine[0].OrderID != a {
		t.Errorf("after accept and decline: expected only a's offer pending with t-station, found %+v", mine)
	}
	if _, err := dispatcher.NewLogOffers(nil); err == nil {
		t.Error("NewLogOffers(nil): expected an error")
	}
}
