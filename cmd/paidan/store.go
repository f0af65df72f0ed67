package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/eventstore/esdb"
	"github.com/paidan/paidan/ops"
)

// eventsFileName is the embedded event store's file in the data directory.
const eventsFileName = "events.db"

// esdbMaxAppendSize is the bound the EventStoreDB adapter holds appends to
// before sending them. It is the server's default MaxAppendSize (1 MiB): a
// server left at its default refuses larger requests by cutting the
// connection, which the client can only report as an outage. Paidan's
// commands append a few small events, far below it; docs/eventstoredb.md
// recommends raising the server's setting to 8 MiB, which this bound then
// stays safely under.
const esdbMaxAppendSize = esdb.DefaultMaxAppendSize

// openStore picks the concrete event store for the tools that have no logger
// of their own: only cmd/ knows the adapters.
func openStore(cfg ops.Config) (eventstore.Store, error) {
	return openStoreLogged(context.Background(), cfg, nil)
}

// openStoreLogged opens EventStoreDB when cfg.ESDBURL is set, else the
// embedded store in cfg.DataDir. EventStoreDB is opened without contacting
// it, so a server that is down at start is no reason not to start: calls
// fail with eventstore.ErrUnavailable until it answers. log receives the
// EventStoreDB client's lines; nil discards them.
func openStoreLogged(ctx context.Context, cfg ops.Config, log *slog.Logger) (eventstore.Store, error) {
	if cfg.ESDBURL != "" {
		if log != nil {
			log = slog.New(routineErrors{log.Handler()})
		}
		s, err := esdb.Open(ctx, cfg.ESDBURL, esdb.Config{Logger: log, MaxAppendSize: esdbMaxAppendSize})
		if err != nil {
			return nil, fmt.Errorf("open EventStoreDB (%s / --%s): %w", ops.EnvESDBURL, ops.FlagESDBURL, err)
		}
		return s, nil
	}
	path := filepath.Join(cfg.DataDir, eventsFileName)
	s, err := embedded.Open(path, embedded.Config{})
	if err != nil {
		return nil, fmt.Errorf("open the embedded event store %s: %w", path, err)
	}
	return s, nil
}

// routineErrors passes a log handler's records on with errors demoted to
// warnings. The EventStoreDB client logs every dropped subscription and
// reconnection as an error, including the ones shutdown causes; for a
// server that rides out outages those are routine, and the components that
// act on them (the projections' source, the dispatcher) log what matters.
type routineErrors struct{ slog.Handler }

func (h routineErrors) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		r.Level = slog.LevelWarn
	}
	return h.Handler.Handle(ctx, r)
}

func (h routineErrors) WithAttrs(attrs []slog.Attr) slog.Handler {
	return routineErrors{h.Handler.WithAttrs(attrs)}
}

func (h routineErrors) WithGroup(name string) slog.Handler {
	return routineErrors{h.Handler.WithGroup(name)}
}

// storeKindFile records in the data directory which kind of event store its
// checkpoints belong to.
const storeKindFile = "store-kind"

// Store kinds recorded in storeKindFile.
const (
	storeEmbedded     = "embedded"
	storeEventStoreDB = "eventstoredb"
)

func storeKind(cfg ops.Config) string {
	if cfg.ESDBURL != "" {
		return storeEventStoreDB
	}
	return storeEmbedded
}

// claimDataDir records the store kind in a new data directory, and refuses a
// data directory used with the other kind. The dispatcher's checkpoint and the
// SQLite read models' checkpoints there are positions in one store's log;
// positions of the embedded store mean nothing on EventStoreDB (and the other
// way round), so following the other log from them would skip events or
// fail, silently.
func claimDataDir(cfg ops.Config) error {
	path := filepath.Join(cfg.DataDir, storeKindFile)
	want := storeKind(cfg)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A data directory from before the record: its embedded store file
		// says which log its checkpoints follow.
		if _, serr := os.Stat(filepath.Join(cfg.DataDir, eventsFileName)); serr == nil {
			data = []byte(storeEmbedded)
			break
		}
		if err := os.WriteFile(path, []byte(want+"\n"), 0o640); err != nil {
			return fmt.Errorf("record the store kind in %s: %w", path, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("read the store kind %s: %w", path, err)
	}
	if have := strings.TrimSpace(string(data)); have != want {
		return fmt.Errorf("the data directory %s (%s / --%s) holds the read models and checkpoints of the %s event store, "+
			"and serve was asked to run on %s (%s / --%s); give it a data directory of its own",
			cfg.DataDir, ops.EnvDataDir, ops.FlagDataDir, have, want, ops.EnvESDBURL, ops.FlagESDBURL)
	}
	return nil
}
