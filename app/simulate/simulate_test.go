package simulate_test

import (
	"context"
	"testing"
	"time"

	"github.com/paidan/paidan/app/simulate"
	"github.com/paidan/paidan/domain"
)

// offerTTL is short, so ignored offers lapse quickly, yet long enough for
// teams to answer on a loaded machine; the race detector slows everything
// about tenfold.
func offerTTL() time.Duration {
	if raceEnabled {
		return time.Second
	}
	return 150 * time.Millisecond
}

func runDistrict(t *testing.T, teams, orders int, ttl, poll time.Duration) {
	t.Helper()
	e := startEngine(t, ttl, 3)
	drv, err := simulate.NewInProcess(e.cmds, e.store)
	if err != nil {
		t.Fatal(err)
	}
	cfg := simulate.Config{Teams: teams, Orders: orders, Seed: 7, Concurrency: 64,
		Accept: 0.7, Decline: 0.15, Cancel: 0.05, Rate: 0.9, Poll: poll, OrderTimeout: 5 * time.Minute}
	sim, err := simulate.New(drv, domain.DemoDirectory(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := sim.Setup(ctx)
	if err != nil || n != teams {
		t.Fatalf("Setup: expected %d teams, found %d, %v", teams, n, err)
	}
	if again, err := sim.Setup(ctx); err != nil || again != teams {
		t.Fatalf("Setup again: expected the %d teams taken as registered, found %d, %v", teams, again, err)
	}
	st, err := sim.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", st)
	if st.Placed != int64(orders) || st.Ended() != st.Placed || st.Stuck != 0 || st.Failed != 0 {
		t.Errorf("expected all %d orders placed and ended, none stuck or failed; found %+v", orders, st)
	}
	if st.Undecided != 0 || st.Offers == 0 {
		t.Errorf("expected every offer with a decision record, found %d of %d without", st.Undecided, st.Offers)
	}
	if st.Declined == 0 || st.Ignored == 0 || st.Rated == 0 {
		t.Errorf("expected declines, ignored offers and ratings in the mix, found %+v", st)
	}
	// With most offers accepted, most orders must end served; escalations
	// outnumbering completions would mean offers lapse before teams answer.
	if st.Completed < 2*st.Escalated {
		t.Errorf("expected completions well above escalations, found %d completed and %d escalated", st.Completed, st.Escalated)
	}
	byStatus := audit(t, e.store)
	if got := byStatus[domain.StatusRated]; int64(got) != st.Rated {
		t.Errorf("rated orders: simulator counted %d, the log holds %d", st.Rated, got)
	}
	if ds := e.disp.Stats(); ds.Failed != 0 {
		t.Errorf("dispatcher gave up on %d events", ds.Failed)
	}
}

func TestSmallDistrictRunsToCompletion(t *testing.T) {
	runDistrict(t, 60, 300, offerTTL(), 20*time.Millisecond)
}

// The acceptance run: Haidian's 1,871 teams, 10,000 orders, every
// one ending completed, rated, cancelled or escalated, every offer with its
// decision record. Under the race detector it plays 1,000 orders.
func TestHaidianDistrictTenThousandOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("the full district run takes about a minute; run without -short")
	}
	orders := 10_000
	if raceEnabled {
		orders = 1_000
		t.Logf("race detector on: %d orders instead of 10,000", orders)
	}
	runDistrict(t, domain.DemoTeamCount, orders, offerTTL(), 50*time.Millisecond)
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  simulate.Config
		ok   bool
	}{
		{"zero", simulate.Config{}, true},
		{"demo", simulate.DemoConfig(), true},
		{"negative orders", simulate.Config{Orders: -1}, false},
		{"probability over one", simulate.Config{Accept: 1.5}, false},
		{"accept and decline over one", simulate.Config{Accept: 0.7, Decline: 0.4}, false},
		{"negative poll", simulate.Config{Poll: -time.Second}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate: expected ok=%v, found %v", tc.ok, err)
			}
		})
	}
}
