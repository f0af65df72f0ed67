package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestBenchE2EShort runs the end-to-end benchmark briefly with 4 clients
// and checks that the JSON report has every field with sane values: work
// was done, percentiles are ordered, nothing failed on the server's side.
func TestBenchE2EShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and registers 1,871 teams")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress lockedBuffer
	res, err := runBenchE2E(ctx, e2eConfig{Clients: 4, Warmup: 300 * time.Millisecond, Duration: 2 * time.Second,
		Rate: 100, LagSettle: 300 * time.Millisecond, LagDuration: time.Second, ProbeEvery: 3, Progress: &progress, ServerLog: &progress})
	if err != nil {
		t.Fatalf("bench e2e: %v\n%s", err, progress.String())
	}
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"commands_per_sec", "command_p50_ms", "command_p99_ms", "lifecycles_per_sec",
		"offer_latency_p99_ms", "projection_lag_p99_ms", "errors_by_status", "clients", "commands_per_cpu_sec"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("the report has no %q: %s", k, raw)
		}
	}
	positive := []struct {
		name string
		v    float64
	}{
		{"commands_per_sec", res.CommandsPerSec}, {"command_p50_ms", res.CommandP50Ms},
		{"lifecycles_per_sec", res.LifecyclesPerS}, {"offer_latency_p99_ms", res.OfferLatencyP99Ms},
		{"projection_lag_p99_ms", res.ProjectionLagP99Ms}, {"lag_samples", float64(res.LagSamples)},
		{"lag_events", float64(res.LagEvents)}, {"read_your_write_p99_ms", res.ReadYourWriteP99Ms},
		{"sched_latency_p99_ms", res.SchedLatencyP99Ms},
	}
	for _, p := range positive {
		if !(p.v > 0) {
			t.Errorf("%s: expected a positive value, found %v (%s)", p.name, p.v, raw)
		}
	}
	// Every command appends at least one event, which the store writes.
	if _, _, ok := procWrites(); ok && (res.WriteBytesPerCommand < 100 || res.WriteCallsPerCommand < 1) {
		t.Errorf("writes per command: %.0f bytes in %.1f calls; expected at least an event's page (%s)",
			res.WriteBytesPerCommand, res.WriteCallsPerCommand, raw)
	}
	// One command in ProbeEvery (3) is probed: about a third of the paced
	// commands, never all of them.
	if paced := res.LagCommandsPerSec * time.Second.Seconds(); float64(res.LagSamples+res.LagStale) > paced/3+2 {
		t.Errorf("%d reads probed %.0f paced commands; expected one in 3", res.LagSamples+res.LagStale, paced)
	}
	ordered := []struct {
		name     string
		p50, p99 float64
	}{
		{"command", res.CommandP50Ms, res.CommandP99Ms},
		{"offer latency", res.OfferLatencyP50Ms, res.OfferLatencyP99Ms},
		{"projection lag", res.ProjectionLagP50Ms, res.ProjectionLagP99Ms},
		{"read your write", res.ReadYourWriteP50Ms, res.ReadYourWriteP99Ms},
		{"scheduling latency", res.SchedLatencyP50Ms, res.SchedLatencyP99Ms},
	}
	for _, o := range ordered {
		if o.p50 > o.p99 {
			t.Errorf("%s: expected p50 ≤ p99, found %v > %v", o.name, o.p50, o.p99)
		}
	}
	// Four commands make a lifecycle. A lifecycle counts when its last
	// command is answered in the window, so each client's first one may
	// have had up to three commands before it.
	if least := 4*res.Lifecycles - 3*res.Clients; res.Commands < least {
		t.Errorf("expected at least %d commands for %d lifecycles of %d clients, found %d", least, res.Lifecycles, res.Clients, res.Commands)
	}
	for status, n := range res.ErrorsByStatus {
		if strings.HasPrefix(status, "5") || status == "transport" || status == "offer_timeout" || status == "offer_escalated" {
			t.Errorf("expected no server errors, found %d × %s (%v)", n, status, res.ErrorsByStatus)
		}
	}
	if res.LagStale != 0 {
		t.Errorf("expected every lag probe to reach its position, %d did not", res.LagStale)
	}
}
