package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/projections/projtest"
)

// benchLog records what a kept store directory holds, written only once its
// log was generated completely, so a run interrupted while generating is
// never mistaken for a complete log.
type benchLog struct {
	Events int    `json:"events"`
	Seed   uint64 `json:"seed"`
	Teams  int    `json:"teams"`
}

const (
	benchLogFile   = "bench-log.json"
	benchStoreFile = "events.db"
	benchTeams     = 1871
)

// openBenchStore opens the embedded store of a rebuild benchmark in dir and
// fills it with the generated log unless dir already holds the log of the
// same size, seed and teams (keep: the store is reused between runs). It
// reports whether it generated. A kept directory holding another log is
// refused rather than overwritten: it may be someone's data.
func openBenchStore(ctx context.Context, dir string, want benchLog, keep bool, generating func()) (*embedded.Store, bool, error) {
	path := filepath.Join(dir, benchStoreFile)
	if keep {
		b, err := os.ReadFile(filepath.Join(dir, benchLogFile))
		switch {
		case err == nil:
			var have benchLog
			if err := json.Unmarshal(b, &have); err != nil {
				return nil, false, fmt.Errorf("read %s in %s: %w", benchLogFile, dir, err)
			}
			if have != want {
				return nil, false, fmt.Errorf("--keep %s holds %d events of seed %d (%d teams), not %d of seed %d (%d teams); use another directory",
					dir, have.Events, have.Seed, have.Teams, want.Events, want.Seed, want.Teams)
			}
			store, err := embedded.Open(path, embedded.Config{})
			return store, false, err
		case !errors.Is(err, os.ErrNotExist):
			return nil, false, err
		}
		// No record: generate afresh, dropping what an interrupted run left.
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, false, err
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, false, fmt.Errorf("clear %s: %w", dir, err)
			}
		}
	}
	store, err := embedded.Open(path, embedded.Config{})
	if err != nil {
		return nil, false, err
	}
	if generating != nil {
		generating()
	}
	if _, err := projtest.Write(ctx, store, projtest.Config{Seed: want.Seed, Events: want.Events, Teams: want.Teams}, 64); err != nil {
		store.Close()
		return nil, false, fmt.Errorf("generate: %w", err)
	}
	if keep {
		b, err := json.Marshal(want)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, benchLogFile), b, 0o640)
		}
		if err != nil {
			store.Close()
			return nil, false, fmt.Errorf("record the generated log in %s: %w", dir, err)
		}
	}
	return store, true, nil
}
