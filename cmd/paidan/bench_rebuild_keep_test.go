package main

import (
	"context"
	"strings"
	"testing"

	"github.com/paidan/paidan/eventstore"
)

// TestBenchStoreKept generates a small log into a kept directory, reuses
// it for the same size and seed, and refuses it for another seed.
func TestBenchStoreKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	want := benchLog{Events: 300, Seed: 7, Teams: 20}
	open := func(l benchLog) (uint64, bool, error) {
		t.Helper()
		s, generated, err := openBenchStore(ctx, dir, l, true, nil)
		if err != nil {
			return 0, false, err
		}
		defer s.Close()
		evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 1})
		if err != nil || len(evs) != 1 {
			t.Fatalf("read the head: %v (%d events)", err, len(evs))
		}
		return uint64(evs[0].Position), generated, nil
	}
	head, generated, err := open(want)
	if err != nil || !generated || head < uint64(want.Events) {
		t.Fatalf("first run: head %d, generated %v, err %v; expected a fresh log of at least %d events", head, generated, err, want.Events)
	}
	again, generated, err := open(want)
	if err != nil || generated || again != head {
		t.Fatalf("second run: head %d, generated %v, err %v; expected the kept log (head %d)", again, generated, err, head)
	}
	other := want
	other.Seed = 8
	if _, _, err := open(other); err == nil || !strings.Contains(err.Error(), "seed 7") {
		t.Fatalf("another seed: err %v; expected the kept log to be refused", err)
	}
}
