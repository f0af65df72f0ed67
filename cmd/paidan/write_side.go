package main

import (
	"fmt"
	"os"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/ops"
)

// loadDirectory reads PAIDAN_DIRECTORY, or gives the built-in demo district
// when it is unset.
func loadDirectory(cfg ops.Config) (*domain.Directory, error) {
	if cfg.Directory == "" {
		return domain.DemoDirectory(), nil
	}
	data, err := os.ReadFile(cfg.Directory)
	if err != nil {
		return nil, fmt.Errorf("%s / --%s: %w", ops.EnvDirectory, ops.FlagDirectory, err)
	}
	dir, err := domain.ParseDirectory(data)
	if err != nil {
		return nil, fmt.Errorf("%s / --%s %s: %w", ops.EnvDirectory, ops.FlagDirectory, cfg.Directory, err)
	}
	return dir, nil
}

// newWriteSide builds the command handlers on store and their endpoints.
// teams is automatic dispatch's view of the teams; nil folds the log
// (app.LogTeams).
func newWriteSide(cfg ops.Config, store eventstore.Store, teams app.TeamSource) (*app.Commands, *api.CommandRoutes, error) {
	dir, err := loadDirectory(cfg)
	if err != nil {
		return nil, nil, err
	}
	cmds, err := app.New(app.Deps{Store: store, Directory: dir, Teams: teams},
		app.Config{OfferTTL: cfg.OfferTTL, CacheStreams: cfg.CacheStreams, NoCache: cfg.CacheStreams == 0})
	if err != nil {
		return nil, nil, err
	}
	routes, err := api.NewCommandRoutes(api.CommandDeps{Commands: cmds, Store: store, Directory: dir})
	if err != nil {
		return nil, nil, err
	}
	return cmds, routes, nil
}
