package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paidan/paidan/ops"
)

// A data directory keeps checkpoints of one store's log: serve refuses to
// run it on the other kind of store, naming both and the settings to change.
func TestClaimDataDirKeepsOneStoreKind(t *testing.T) {
	const esdbURL = "esdb://127.0.0.1:2113?tls=false"
	tests := []struct {
		name     string
		existing []string // files in the directory before the claims
		claims   []string // ESDB URL of each claim in turn; "" for embedded
		errHas   []string // nil: every claim succeeds; else the last one fails so
	}{
		{"a new directory on the embedded store, again", nil, []string{"", ""}, nil},
		{"a new directory on EventStoreDB, again", nil, []string{esdbURL, esdbURL}, nil},
		{"embedded, then EventStoreDB", nil, []string{"", esdbURL},
			[]string{"embedded event store", "eventstoredb", "PAIDAN_ESDB_URL / --esdb", "PAIDAN_DATA_DIR / --data"}},
		{"EventStoreDB, then embedded", nil, []string{esdbURL, ""}, []string{"eventstoredb event store", "run on embedded"}},
		{"an embedded store from before the record, then EventStoreDB", []string{eventsFileName}, []string{esdbURL},
			[]string{"embedded event store"}},
		{"an embedded store from before the record, embedded again", []string{eventsFileName}, []string{"", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tt.existing {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			for i, url := range tt.claims {
				err = claimDataDir(ops.Config{DataDir: dir, ESDBURL: url})
				if err != nil && i < len(tt.claims)-1 {
					t.Fatalf("claim %d (%q): %v", i, url, err)
				}
			}
			if tt.errHas == nil {
				if err != nil {
					t.Fatalf("expected the claims to succeed, found %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("expected the last claim to be refused; it succeeded")
			}
			for _, w := range tt.errHas {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the refusal %q does not mention %q", err, w)
				}
			}
		})
	}
}
