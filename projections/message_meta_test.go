package projections_test

import (
	"encoding/json"
	"maps"
	"testing"

	"pgregory.net/rapid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
)

// TestFlatMetadataAgreesWithGeneralDecoder: the fast path takes the
// metadata Paidan writes and copies exactly what the general decoder would;
// whatever it does not understand it leaves to the general decoder.
func TestFlatMetadataAgreesWithGeneralDecoder(t *testing.T) {
	paidan, err := domain.NewMetadata(domain.EventTypeOrderPlaced, domain.Actor{Subject: "bench-resident-7", Role: domain.RoleResident},
		"3f1c8a0e-1111-4222-8333-444455556666", "", "key-1").Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		fast bool
	}{
		{"Paidan's metadata", string(paidan), true},
		{"empty object", `{}`, true},
		{"spaces everywhere", " { \"a\" : \"x\" ,\n\"n\":12 } ", true},
		{"a reserved key is prefixed", `{"type":"x","a":"y"}`, true},
		{"zero", `{"n":0}`, true},
		{"escape in a value", `{"a":"x\"y"}`, false},
		{"escape in a key", `{"a\u0041":"x"}`, false},
		{"non-ASCII value", `{"a":"派单"}`, false},
		{"fraction", `{"n":1.50}`, false},
		{"exponent", `{"n":1e3}`, false},
		{"negative", `{"n":-1}`, false},
		{"leading zero", `{"n":01}`, false},
		{"sixteen digits", `{"n":1234567890123456}`, false},
		{"nested object", `{"a":{"b":"c"}}`, false},
		{"literal", `{"a":true}`, false},
		{"not an object", `["a"]`, false},
		{"trailing bytes", `{"a":"b"}x`, false},
		{"unterminated", `{"a":"b"`, false},
		{"missing colon", `{"a" "b"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := projections.MetadataFast([]byte(tt.data))
			if ok != tt.fast {
				t.Fatalf("fast path took %s: %v; want %v", tt.data, ok, tt.fast)
			}
			if want := projections.MetadataGeneral([]byte(tt.data)); ok && !maps.Equal(got, want) {
				t.Fatalf("%s: fast path copied %v; general decoder %v", tt.data, got, want)
			}
		})
	}
}

// TestFlatMetadataProperty: for any flat object of plain strings and whole
// numbers, the fast path takes it and agrees with the general decoder.
func TestFlatMetadataProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfDistinct(rapid.StringMatching(`[a-z_]{1,12}`), rapid.ID[string]).Draw(t, "keys")
		meta := map[string]any{}
		for _, k := range keys {
			if rapid.Bool().Draw(t, "number") {
				meta[k] = rapid.Int64Range(0, 999_999_999_999_999).Draw(t, "n")
			} else {
				meta[k] = rapid.StringMatching(`[ -!#-\[\]-~]{0,40}`).Draw(t, "s")
			}
		}
		data, err := json.Marshal(meta)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := projections.MetadataFast(data)
		want := projections.MetadataGeneral(data)
		// json.Marshal escapes <, > and & in strings: those take the
		// general path, which must still agree when the fast one is taken.
		if ok && !maps.Equal(got, want) {
			t.Fatalf("%s: fast path copied %v; general decoder %v", data, got, want)
		}
		if !ok && !hasEscape(data) {
			t.Fatalf("%s: expected the fast path to take it", data)
		}
	})
}

func hasEscape(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

func BenchmarkEventMetadata(b *testing.B) {
	data, err := domain.NewMetadata(domain.EventTypeOrderPlaced, domain.Actor{Subject: "bench-resident-7", Role: domain.RoleResident},
		"3f1c8a0e-1111-4222-8333-444455556666", "", "key-1").Marshal()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fn   func([]byte)
	}{
		{"fast", func(d []byte) { projections.MetadataFast(d) }},
		{"general", func(d []byte) { projections.MetadataGeneral(d) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.fn(data)
			}
		})
	}
}
