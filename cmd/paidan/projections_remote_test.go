package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/domain"
)

// TestProjectionsToolsGoThroughTheRunningServer: while serve holds the
// embedded store, `projections status` and `projections rebuild` work
// through it (rebuilding without stopping it), and say so; a wrong address
// gets a message that names the setting.
func TestProjectionsToolsGoThroughTheRunningServer(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	s := startServe(t, dir, nil)
	s.waitReady(30 * time.Second)
	tok := s.token(domain.Actor{Subject: "r-1", Role: domain.RoleResident})
	placed := s.must(201, "POST", "/api/v1/orders", tok, map[string]any{"category": "errand", "title": "取药",
		"station_id": "zhongguancun-001", "contact": "138"})
	addr := strings.TrimPrefix(s.url, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	out, errOut, err := execute(t, ctx, "projections", "status", "--json", "--data", dir, "--http", addr)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, errOut)
	}
	var st struct {
		Projections []struct {
			Projection string `json:"projection"`
			Position   uint64 `json:"position"`
		} `json:"projections"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Projections) != 5 {
		t.Fatalf("status: %q %v; want five projections", out, err)
	}
	if !strings.Contains(errOut, "asking the server at "+addr) {
		t.Errorf("status did not say it asked the server: %q", errOut)
	}

	out, errOut, err = execute(t, ctx, "projections", "rebuild", "--data", dir, "--http", addr, "--only", "orders")
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "rebuilt [orders] in the server") {
		t.Fatalf("rebuild printed %q", out)
	}
	// The rebuilt model answers, and the server goes on taking commands.
	s.must(200, "GET", "/api/v1/orders/"+placed.str("order_id"), tok, nil)
	s.must(201, "POST", "/api/v1/orders", tok, map[string]any{"category": "errand", "title": "买菜",
		"station_id": "zhongguancun-001", "contact": "138"})

	_, _, err = execute(t, ctx, "projections", "rebuild", "--data", dir, "--http", addr, "--only", "nope")
	if err == nil || !strings.Contains(err.Error(), `unknown projection "nope"`) {
		t.Fatalf("rebuild --only nope: %v; want the server's refusal", err)
	}
	_, _, err = execute(t, ctx, "projections", "status", "--data", dir, "--http", "127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "--http") {
		t.Fatalf("status at a wrong address: %v; want a message naming --http", err)
	}
}
