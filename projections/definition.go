package projections

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// Definition describes one projection: its name (its checkpoint identity),
// the tables it owns and how to build them, and how to make a model instance.
type Definition struct {
	// Name identifies the projection's checkpoint, migrations and parked
	// events. Renaming a projection replays the whole log into it; names are
	// constants. Required: lowercase letters, digits and underscores.
	Name string
	// Tables lists the logical names of the tables the projection owns; a
	// rebuild replaces exactly these. Required.
	Tables []string
	// Migrations build the tables, in ascending Version order; their SQL names
	// tables as {name}. Applied versions are recorded in projection_migrations.
	// Index names must be written {table}_suffix so a rebuild's fresh tables
	// get distinct ones.
	Migrations []Migration
	// New returns a model whose tables are registered with u. Required.
	New func(u *Unit) Model
	// Types lists the event types Apply acts on; optional (nil: every
	// event). The Source drops other events before they become messages and
	// moves the projection past them with checkpoints, so a model that
	// reads two kinds of event in five does not pay for the other three.
	// A type missing here is an event the live model never sees: the
	// filter tests replay every type with and without it.
	Types []string
}

// consumes reports whether the projection reads events of type t.
func (d Definition) consumes(t string) bool {
	return d.Types == nil || slices.Contains(d.Types, t)
}

// Migration is one versioned schema step of a projection.
type Migration struct {
	Version    int
	Statements []string
}

// Model applies events to a projection's tables. Apply must be
// deterministic: the same events give the same rows, live or rebuilt. It
// changes rows only through the Tables registered with its Unit, so that a
// failed event is undone and a batch is written once.
type Model interface {
	Apply(ctx context.Context, tx *Tx, ev *Event) error
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks the definition's shape.
func (d Definition) Validate() error {
	var errs []error
	if !validName.MatchString(d.Name) {
		errs = append(errs, fmt.Errorf("projection name %q: expected lowercase letters, digits and underscores", d.Name))
	}
	if len(d.Tables) == 0 {
		errs = append(errs, fmt.Errorf("projection %q: Tables is required", d.Name))
	}
	for _, t := range d.Tables {
		if !validName.MatchString(t) {
			errs = append(errs, fmt.Errorf("projection %q: table name %q: expected lowercase letters, digits and underscores", d.Name, t))
		}
	}
	last := 0
	for _, m := range d.Migrations {
		if m.Version <= last {
			errs = append(errs, fmt.Errorf("projection %q: migration versions must ascend from 1, found %d after %d", d.Name, m.Version, last))
		}
		last = m.Version
	}
	if d.New == nil {
		errs = append(errs, fmt.Errorf("projection %q: New is required", d.Name))
	}
	return errors.Join(errs...)
}

func validateDefinitions(defs []Definition) error {
	if len(defs) == 0 {
		return errors.New("at least one projection is required")
	}
	var errs []error
	seen := map[string]bool{}
	tables := map[string]string{}
	for _, d := range defs {
		errs = append(errs, d.Validate())
		if seen[d.Name] {
			errs = append(errs, fmt.Errorf("projection %q is defined twice", d.Name))
		}
		seen[d.Name] = true
		for _, t := range d.Tables {
			if o, ok := tables[t]; ok {
				errs = append(errs, fmt.Errorf("table %q is owned by both %q and %q", t, o, d.Name))
			}
			tables[t] = d.Name
		}
	}
	return errors.Join(errs...)
}

// select picks the definitions named in only (all when only is empty).
func selectDefinitions(defs []Definition, only []string) ([]Definition, error) {
	if len(only) == 0 {
		return defs, nil
	}
	var out []Definition
	for _, n := range only {
		n = projectionOf(n)
		if slices.ContainsFunc(out, func(d Definition) bool { return d.Name == n }) {
			continue
		}
		found := false
		for _, d := range defs {
			if d.Name == n {
				out = append(out, d)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w: %q", ErrUnknownProjection, n)
		}
	}
	return out, nil
}

// ErrUnknownProjection: a name that no configured projection has.
var ErrUnknownProjection = errors.New("unknown projection")
