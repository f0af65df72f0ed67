package ops_test

import (
	"context"
	"errors"
	"testing"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/ops"
)

func TestReadiness(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name      string
		checks    map[string]ops.Check
		wantReady bool
		wantFail  []string
		// expired runs the checks under an already-cancelled context,
		// standing in for the per-check timeout without waiting for it.
		expired bool
	}{
		{"no checks", nil, true, nil, false},
		{"all pass", map[string]ops.Check{"store": ok, "projections": ok}, true, nil, false},
		{"one fails", map[string]ops.Check{"store": ok,
			"projections": func(context.Context) error { return errors.New("behind by 12 events") }},
			false, []string{"projections"}, false},
		{"a panic is a failure", map[string]ops.Check{"boom": func(context.Context) error { panic("x") }},
			false, []string{"boom"}, false},
		{"a check that outlives its deadline fails", map[string]ops.Check{
			"slow": func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}, false, []string{"slow"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ops.NewReadiness(0)
			for n, c := range tt.checks {
				if err := r.Register(n, c); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.expired {
				cancel()
			}
			defer cancel()
			rep := r.Run(ctx)
			if rep.Ready != tt.wantReady {
				t.Errorf("Ready = %v, want %v (%+v)", rep.Ready, tt.wantReady, rep)
			}
			if len(rep.Checks) != len(tt.checks) {
				t.Errorf("got %d results, want %d", len(rep.Checks), len(tt.checks))
			}
			var failed []string
			for _, c := range rep.Checks {
				if !c.OK {
					failed = append(failed, c.Name)
					if c.Error == "" {
						t.Errorf("check %s failed without an error message", c.Name)
					}
				}
			}
			if len(failed) != len(tt.wantFail) || (len(failed) > 0 && failed[0] != tt.wantFail[0]) {
				t.Errorf("failed checks = %v, want %v", failed, tt.wantFail)
			}
		})
	}
}

func TestReadinessRefusesDuplicateNames(t *testing.T) {
	r := ops.NewReadiness(0)
	check := func(context.Context) error { return nil }
	if err := r.Register("store", check); err != nil {
		t.Fatal(err)
	}
	if err := r.Register("store", check); err == nil {
		t.Error("a second check named store was accepted")
	}
}

// fakeStore answers ReadAll with err; every other method is unused.
type fakeStore struct {
	eventstore.Store
	err error
}

func (f fakeStore) ReadAll(context.Context, eventstore.ReadAllOptions) ([]eventstore.RecordedEvent, error) {
	return nil, f.err
}

func TestStoreCheck(t *testing.T) {
	if err := ops.StoreCheck(fakeStore{})(context.Background()); err != nil {
		t.Errorf("reachable store: %v", err)
	}
	err := ops.StoreCheck(fakeStore{err: eventstore.ErrUnavailable})(context.Background())
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("unreachable store: got %v, want ErrUnavailable", err)
	}
}
