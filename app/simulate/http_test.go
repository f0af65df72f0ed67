package simulate_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app/simulate"
	"github.com/paidan/paidan/domain"
)

// A small district played over HTTP against the real API with the
// dispatcher running beside it, as `paidan simulate --url` does.
func TestSmallDistrictOverHTTP(t *testing.T) {
	e := startEngine(t, offerTTL(), 3)
	signer, err := auth.NewHMAC([]byte("a test secret of at least thirty-two bytes"), auth.HMACConfig{})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := api.NewServer(api.Deps{Logger: logger, Verifier: signer}, api.Config{RatePerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	routes, err := api.NewCommandRoutes(api.CommandDeps{Commands: e.cmds, Store: e.store, Directory: domain.DemoDirectory()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(routes.Register)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	drv, err := simulate.NewHTTP(simulate.HTTPConfig{URL: hs.URL,
		Token: func(a domain.Actor) (string, error) { return signer.Mint(a, time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	cfg := simulate.Config{Teams: 40, Orders: 120, Seed: 3, Concurrency: 16,
		Accept: 0.7, Decline: 0.15, Cancel: 0.05, Poll: 20 * time.Millisecond, OrderTimeout: time.Minute}
	sim, err := simulate.New(drv, domain.DemoDirectory(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if n, err := sim.Setup(ctx); err != nil || n != 40 {
		t.Fatalf("Setup over HTTP: expected 40 teams, found %d, %v", n, err)
	}
	st, err := sim.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", st)
	if st.Placed != 120 || st.Ended() != 120 || st.Stuck != 0 || st.Failed != 0 || st.Undecided != 0 {
		t.Errorf("expected 120 orders ended, none stuck, failed or undecided; found %+v", st)
	}
	audit(t, e.store)
}

func TestHTTPErrorsMapToDomainClasses(t *testing.T) {
	cases := []struct {
		status int
		class  error
	}{
		{403, domain.ErrForbidden}, {404, domain.ErrNotFound}, {409, domain.ErrConflict}, {422, domain.ErrInvalid},
	}
	for _, tc := range cases {
		err := error(&simulate.HTTPError{Status: tc.status, Code: "x"})
		if !errors.Is(err, tc.class) {
			t.Errorf("HTTP %d: expected errors.Is(%v), it is not", tc.status, tc.class)
		}
	}
	if errors.Is(&simulate.HTTPError{Status: 500}, domain.ErrConflict) {
		t.Error("HTTP 500 must not read as a conflict")
	}
	if _, err := simulate.NewHTTP(simulate.HTTPConfig{URL: "ftp://x"}); err == nil {
		t.Error("NewHTTP with a bad URL and no token minter: expected an error")
	}
}
