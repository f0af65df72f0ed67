package paidan_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/paidan/paidan"

// layers lists the project's top-level packages in DESIGN.md's order: each may
// import the layers above it, never those below. Only cmd/ picks adapters.
var layers = []string{"domain", "eventstore", "app", "projections", "ops", "api", "cmd"}

// allowedExternal lists, per layer, the only third-party modules its
// non-test code may depend on directly (nil: no restriction beyond layering).
var allowedExternal = map[string][]string{
	"domain": {"github.com/google/uuid"},
}

type goPackage struct {
	ImportPath string
	Imports    []string
}

// TestDependencyDirection keeps the layering of DESIGN.md true: it fails when a
// package imports a project package of a later layer, when the event store port
// imports anything but the standard library, or when a package outside cmd/
// and the adapters' own tests imports a concrete store adapter.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	rank := map[string]int{}
	for i, l := range layers {
		rank[l] = i
	}
	checked := 0
	for dec.More() {
		var p goPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		layer := strings.SplitN(rel, "/", 2)[0]
		from, ok := rank[layer]
		if !ok {
			continue
		}
		checked++
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				if allowed, restricted := allowedExternal[layer]; restricted && strings.Contains(imp, ".") {
					if !hasPrefixAny(imp, allowed) {
						t.Errorf("%s imports %s; %s/ may only use the standard library and %v", p.ImportPath, imp, layer, allowed)
					}
				}
				if rel == "eventstore" && strings.Contains(imp, ".") {
					t.Errorf("the event store port imports %s; it must use the standard library only", imp)
				}
				continue
			}
			impRel := strings.TrimPrefix(imp, module+"/")
			impLayer := strings.SplitN(impRel, "/", 2)[0]
			to, ok := rank[impLayer]
			if !ok {
				continue
			}
			if to > from {
				t.Errorf("%s (layer %s) imports %s (layer %s): dependencies must point up DESIGN.md's table",
					p.ImportPath, layer, imp, impLayer)
			}
			if isAdapter(impRel) && layer != "cmd" && !strings.HasPrefix(rel, "eventstore/") {
				t.Errorf("%s imports the concrete adapter %s; only cmd/ picks adapters", p.ImportPath, imp)
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list found none of the project's packages")
	}
}

func isAdapter(rel string) bool {
	for _, a := range []string{"eventstore/embedded", "eventstore/esdb", "eventstore/memstore"} {
		if rel == a || strings.HasPrefix(rel, a+"/") {
			return true
		}
	}
	return false
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
