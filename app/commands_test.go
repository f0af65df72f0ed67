package app_test

import (
	"testing"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore/memstore"
)

func TestNewValidates(t *testing.T) {
	mem, _ := memstore.New(memstore.Config{})
	defer mem.Close()
	cases := []struct {
		name string
		deps app.Deps
		cfg  app.Config
		ok   bool
	}{
		{"complete", app.Deps{Store: mem, Directory: domain.DemoDirectory()}, app.Config{}, true},
		{"no store", app.Deps{Directory: domain.DemoDirectory()}, app.Config{}, false},
		{"no directory", app.Deps{Store: mem}, app.Config{}, false},
		{"negative TTL", app.Deps{Store: mem, Directory: domain.DemoDirectory()}, app.Config{OfferTTL: -1}, false},
		{"negative attempts", app.Deps{Store: mem, Directory: domain.DemoDirectory()}, app.Config{Attempts: -1}, false},
	}
	for _, c := range cases {
		_, err := app.New(c.deps, c.cfg)
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestValidateIdempotencyKey(t *testing.T) {
	long := make([]byte, app.MaxIdempotencyKeyLength+1)
	for i := range long {
		long[i] = 'a'
	}
	for key, ok := range map[string]bool{"": true, "abc-123_:.": true, "with space": false, "tab\t": false, "ключ": false, string(long): false} {
		if err := app.ValidateIdempotencyKey(key); (err == nil) != ok {
			t.Errorf("key %q: %v, want ok=%v", key, err, ok)
		}
	}
}
