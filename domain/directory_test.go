package domain_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/paidan/paidan/domain"
)

func TestDemoDirectory(t *testing.T) {
	d := domain.DemoDirectory()
	if d != domain.DemoDirectory() {
		t.Error("DemoDirectory built twice; it is immutable and should be shared")
	}
	var real struct {
		Institutes []struct {
			ID       string   `json:"id"`
			Name     string   `json:"name"`
			Stations []string `json:"stations"`
		} `json:"institutes"`
	}
	raw, err := os.ReadFile("demodata/haidian-institutes.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &real); err != nil {
		t.Fatal(err)
	}
	ins := d.Institutes()
	if len(ins) != 29 || len(real.Institutes) != 29 {
		t.Fatalf("expected the 29 real institutes, found %d (data file has %d)", len(ins), len(real.Institutes))
	}
	if n := len(d.Stations()); n != 648 {
		t.Errorf("expected 648 stations, found %d", n)
	}
	sizes := map[int]bool{}
	names := map[string]bool{}
	for i, in := range ins {
		if in.ID != real.Institutes[i].ID || in.Name != real.Institutes[i].Name {
			t.Errorf("institute %d: got %s %s, want the real %s %s", i, in.ID, in.Name, real.Institutes[i].ID, real.Institutes[i].Name)
		}
		sts := d.StationsOf(in.ID)
		if len(sts) == 0 {
			t.Errorf("institute %s has no stations", in.ID)
		}
		sizes[len(sts)] = true
		for k, name := range real.Institutes[i].Stations {
			if sts[k].Name != name {
				t.Errorf("institute %s station %d: got %q, want the real %q", in.ID, k, sts[k].Name, name)
			}
		}
		for _, st := range sts {
			if !strings.HasPrefix(st.ID, in.ID+"-") || !strings.HasSuffix(st.Name, "社区") {
				t.Errorf("station %s %q of %s: expected id <institute>-NNN and a community name", st.ID, st.Name, in.ID)
			}
			if names[st.Name] {
				t.Errorf("station name %q appears twice", st.Name)
			}
			names[st.Name] = true
			if got, ok := d.InstituteOf(st.ID); !ok || got.ID != in.ID {
				t.Errorf("InstituteOf(%s) = %v, %v; want %s", st.ID, got, ok, in.ID)
			}
		}
	}
	if len(sizes) < 10 {
		t.Errorf("stations are spread too evenly: only %d distinct institute sizes", len(sizes))
	}
	// The generated names and ids are part of the demo's identity (teams and
	// orders refer to station ids): pinned, so a change is deliberate.
	data, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "demo-directory.json", append(data, '\n'))
}

func TestDirectoryLookups(t *testing.T) {
	d := domain.DemoDirectory()
	st, ok := d.Station("yongdinglu-001")
	if !ok || st.Name != "七街坊社区" || st.InstituteID != "yongdinglu" {
		t.Errorf("Station(yongdinglu-001) = %#v, %v", st, ok)
	}
	if in, ok := d.Institute("zhongguancun"); !ok || in.Name != "中关村街道" || in.NameEN != "Zhongguancun" {
		t.Errorf("Institute(zhongguancun) = %#v, %v", in, ok)
	}
	for _, id := range []string{"", "nowhere-001", "zhongguancun"} {
		if _, ok := d.Station(id); ok {
			t.Errorf("Station(%q) found; expected unknown", id)
		}
		if _, ok := d.InstituteOf(id); ok {
			t.Errorf("InstituteOf(%q) found; expected unknown", id)
		}
	}
	if got := d.StationsOf("nowhere"); len(got) != 0 {
		t.Errorf("StationsOf(nowhere) = %v", got)
	}
	// Listings are copies: changing one does not change the directory.
	d.Stations()[0].Name = "changed"
	d.Institutes()[0].Name = "changed"
	if d.Stations()[0].Name == "changed" || d.Institutes()[0].Name == "changed" {
		t.Error("a listing shares memory with the directory")
	}
}

func TestParseDirectoryRoundTrip(t *testing.T) {
	d := domain.DemoDirectory()
	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := domain.ParseDirectory(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Stations(), d.Stations()) || !reflect.DeepEqual(back.Institutes(), d.Institutes()) {
		t.Error("a saved directory parses back to a different one")
	}
}

func TestParseDirectory(t *testing.T) {
	cases := []struct {
		name string
		json string
		err  string // part of the message; "" for success
	}{
		{"smallest", `{"institutes":[{"id":"a","name":"甲街道","stations":[{"id":"a-1","name":"一社区"}]}]}`, ""},
		{"extra keys ignored", `{"about":"x","institutes":[{"id":"a","name":"甲","name_en":"A","stations":[{"id":"a-1","name":"一"}]}]}`, ""},
		{"not JSON", `{"institutes":`, "expected a JSON object"},
		{"trailing content", `{"institutes":[{"id":"a","name":"甲","stations":[{"id":"s","name":"一"}]}]} {}`, "expected a JSON object"},
		{"stations as plain names", `{"institutes":[{"id":"a","name":"甲","stations":["一社区"]}]}`, "expected a JSON object"},
		{"no institutes", `{"institutes":[]}`, "at least one institute"},
		{"institute without stations", `{"institutes":[{"id":"a","name":"甲","stations":[]}]}`, "no stations"},
		{"bad institute id", `{"institutes":[{"id":"a b","name":"甲","stations":[{"id":"s","name":"一"}]}]}`, `id "a b"`},
		{"empty station name", `{"institutes":[{"id":"a","name":"甲","stations":[{"id":"s","name":""}]}]}`, "non-empty"},
		{"duplicate institute", `{"institutes":[{"id":"a","name":"甲","stations":[{"id":"s","name":"一"}]},{"id":"a","name":"乙","stations":[{"id":"t","name":"二"}]}]}`, `institute id "a" appears twice`},
		{"duplicate station", `{"institutes":[{"id":"a","name":"甲","stations":[{"id":"s","name":"一"}]},{"id":"b","name":"乙","stations":[{"id":"s","name":"二"}]}]}`, `station id "s" appears twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := domain.ParseDirectory([]byte(tc.json))
			if tc.err == "" {
				if err != nil || d == nil {
					t.Fatalf("expected a directory, found %v", err)
				}
				return
			}
			if !errors.Is(err, domain.ErrDirectory) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("expected ErrDirectory saying %q, found %v", tc.err, err)
			}
		})
	}
	_, err := domain.NewDirectory([]domain.Institute{{ID: "a", Name: "甲"}},
		[]domain.Station{{ID: "s", Name: "一", InstituteID: "b"}})
	if !errors.Is(err, domain.ErrDirectory) {
		t.Errorf("a station of an unknown institute: expected ErrDirectory, found %v", err)
	}
}

func TestCategories(t *testing.T) {
	cases := []struct {
		in     string
		zh, en string
	}{
		{"theory", "思想理论", "Theory and policy"},
		{"education", "教育", "Education"},
		{"science", "科技", "Science and technology"},
		{"culture", "文化", "Culture"},
		{"health", "卫生健康", "Health"},
		{"legal", "法律", "Legal aid"},
		{"errand", "代购/送药/取快递", "Errands: shopping, medicine, parcels"},
		{"counseling", "心理疏导", "Counseling"},
	}
	if len(domain.Categories()) != len(cases) {
		t.Errorf("Categories() has %d entries, want %d", len(domain.Categories()), len(cases))
	}
	for i, tc := range cases {
		c, err := domain.ParseCategory(tc.in)
		if err != nil || c != domain.Categories()[i] || c.LabelZH() != tc.zh || c.LabelEN() != tc.en {
			t.Errorf("%s: got %q (%s / %s), %v", tc.in, c, c.LabelZH(), c.LabelEN(), err)
		}
	}
	for _, bad := range []string{"", "Errand", "plumbing"} {
		_, err := domain.ParseCategory(bad)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Field != "category" || !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParseCategory(%q): expected a validation error for category, found %v", bad, err)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, r := range domain.Roles() {
		if got, err := domain.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	for _, bad := range []string{"", "system", "Admin", "root"} {
		if _, err := domain.ParseRole(bad); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParseRole(%q): expected ErrInvalid, found %v", bad, err)
		}
	}
	if domain.RoleSystem.Valid() {
		t.Error("RoleSystem must never be valid in a token")
	}
}
