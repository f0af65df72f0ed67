package storebench_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/eventstore/storebench"
)

// TestRunReportsEveryFigure runs a tiny benchmark against the embedded store
// and checks that every figure the README and CI read is present and
// positive (the figures themselves are for the bench command, not a test).
func TestRunReportsEveryFigure(t *testing.T) {
	var progress strings.Builder
	open := func(path string) (eventstore.Store, error) { return embedded.Open(path, embedded.Config{}) }
	res, err := storebench.Run(context.Background(), open, storebench.Config{
		Dir: t.TempDir(), Events: 320, LoadStreams: 40, LoadEventsPerStream: 5, Rounds: 1, LagRate: 2000, LagAppends: 100, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"append_c1_events_per_sec", "append_c16_events_per_sec", "append_c64_events_per_sec",
		"append5_c16_events_per_sec", "load_events_per_sec", "baseline_c64_events_per_sec",
		"append_c64_vs_baseline", "live_lag_p50_ms", "live_lag_p99_ms",
	} {
		v, ok := fields[key].(float64)
		if !ok || v <= 0 {
			t.Errorf("%s = %v in %s, expected a positive number", key, fields[key], b)
		}
	}
	if got := strings.Count(progress.String(), "\n"); got != 7 {
		t.Errorf("progress has %d lines, expected one per scenario run (7):\n%s", got, progress.String())
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     storebench.Config
		wantErr bool
	}{
		{"dir only", storebench.Config{Dir: "/tmp"}, false},
		{"no dir", storebench.Config{}, true},
		{"negative events", storebench.Config{Dir: "/tmp", Events: -1}, true},
		{"negative rounds", storebench.Config{Dir: "/tmp", Rounds: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, expected an error: %v", err, tt.wantErr)
			}
		})
	}
}
