package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paidan/paidan/ops"
)

func TestServeRefusesBadSettings(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		errHas []string
	}{
		{"an EventStoreDB URL of another scheme", []string{"--esdb", "http://localhost:2113"}, nil,
			[]string{"PAIDAN_ESDB_URL / --esdb", "esdb://"}},
		{"invalid values name their settings", []string{"--http", "nowhere"},
			map[string]string{"PAIDAN_MAX_OFFERS": "0"}, []string{"PAIDAN_HTTP_ADDR / --http", "PAIDAN_MAX_OFFERS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append([]string{"serve", "--data", t.TempDir()}, tt.args...)
			_, _, err := execute(t, context.Background(), args...)
			for _, w := range tt.errHas {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v; want an error mentioning %q", err, w)
				}
			}
		})
	}
}

func TestServeRunsAndStopsOnCancel(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--http", "127.0.0.1:0", "--data", dir, "--log-level", "warn"})
	root.SetOut(pw)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.Close()
		done <- err
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (%v)", err, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	url := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", resp.StatusCode)
	}
	// Ready once the projections and the dispatcher caught up with the
	// (empty) log, which they do in the background after start.
	eventually(t, 30*time.Second, "/readyz to answer 200", func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	resp, err = http.Get(url + "/api/v1/stations")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/api/v1/stations without a token = %d, want 401", resp.StatusCode)
	}

	cancel() // what SIGTERM does
	if err := <-done; err != nil {
		t.Errorf("serve after cancel: %v", err)
	}
	// The store was closed cleanly: it opens again at once.
	store, err := openStore(mustConfig(t, dir))
	if err != nil {
		t.Fatalf("reopening the store after shutdown: %v", err)
	}
	if err := store.Close(); err != nil {
		t.Error(err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, eventsFileName)); len(matches) != 1 {
		t.Errorf("no event store file in %s", dir)
	}
}

func mustConfig(t *testing.T, dir string) ops.Config {
	t.Helper()
	c := ops.DefaultConfig()
	c.DataDir = dir
	return c
}
