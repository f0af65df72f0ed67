package projections

import (
	"context"
	"strings"
	"testing"
)

// stubRows is a table whose database is a map, counting loads.
type stubRows struct {
	db      map[string]string
	loads   int
	saved   map[string]string
	deleted []string
}

func (s *stubRows) spec() TableSpec[string, string] {
	return TableSpec[string, string]{
		Load: func(_ context.Context, _ *Tx, k string) (string, bool, error) {
			s.loads++
			v, ok := s.db[k]
			return v, ok, nil
		},
		Save: func(_ context.Context, _ *Tx, k, v string) error { s.saved[k] = v; return nil },
		Delete: func(_ context.Context, _ *Tx, k string) error {
			s.deleted = append(s.deleted, k)
			return nil
		},
	}
}

// TestTablePutReadsNothing: a Put of an uncached row reads nothing; undoing
// it forgets the row, so the next Get reads the database again; a Delete
// after it in the same batch still deletes the row the database may hold.
func TestTablePutReadsNothing(t *testing.T) {
	ctx := context.Background()
	s := &stubRows{db: map[string]string{"a": "stored a"}, saved: map[string]string{}}
	u := &Unit{}
	tab := NewTable(u, s.spec())

	u.begin()
	if err := tab.Put(ctx, nil, "a", "new a"); err != nil {
		t.Fatal(err)
	}
	if s.loads != 0 {
		t.Fatalf("Put of an uncached row loaded it %d times", s.loads)
	}
	u.rollbackEvent()
	v, found, err := tab.Get(ctx, nil, "a")
	if err != nil || !found || v != "stored a" || s.loads != 1 {
		t.Fatalf("Get after an undone Put: %q %v %v with %d loads; want the stored row, read once", v, found, err, s.loads)
	}

	u.begin()
	if err := tab.Put(ctx, nil, "b", "new b"); err != nil {
		t.Fatal(err)
	}
	if v, found, _ := tab.Get(ctx, nil, "b"); !found || v != "new b" || s.loads != 1 {
		t.Fatalf("Get after a Put: %q %v with %d loads; want the put row from memory", v, found, s.loads)
	}
	u.begin()
	if err := tab.Put(ctx, nil, "c", "new c"); err != nil {
		t.Fatal(err)
	}
	if err := tab.Delete(ctx, nil, "c"); err != nil {
		t.Fatal(err)
	}
	if err := u.flush(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if s.saved["b"] != "new b" || len(s.deleted) != 1 || s.deleted[0] != "c" {
		t.Fatalf("flush saved %v and deleted %v; want b saved and c deleted", s.saved, s.deleted)
	}
	if s.loads != 1 {
		t.Fatalf("%d loads; want only the one after the undone Put", s.loads)
	}
}

// TestTableUpdateGetsTheStoredRow: a row the table loaded, or wrote in a
// committed batch, is written by Update with the row as stored; a row put
// unread is written by Save; an undone change does not move what is stored.
func TestTableUpdateGetsTheStoredRow(t *testing.T) {
	ctx := context.Background()
	s := &stubRows{db: map[string]string{"a": "a0"}, saved: map[string]string{}}
	var updates []string // "key: was → new"
	spec := s.spec()
	spec.Update = func(_ context.Context, _ *Tx, k, was, v string) error {
		updates = append(updates, k+": "+was+" → "+v)
		return nil
	}
	u := &Unit{}
	tab := NewTable(u, spec)
	commit := func() {
		t.Helper()
		if err := u.flush(ctx, nil); err != nil {
			t.Fatal(err)
		}
		u.committed(100)
	}
	put := func(k, v string) {
		t.Helper()
		u.begin()
		if err := tab.Put(ctx, nil, k, v); err != nil {
			t.Fatal(err)
		}
	}

	u.begin()
	if _, _, err := tab.Get(ctx, nil, "a"); err != nil {
		t.Fatal(err)
	}
	put("a", "a1")
	put("b", "b1") // unread: what the database holds is unknown
	commit()
	put("a", "a2")
	put("b", "b2")
	put("a", "undone")
	u.rollbackEvent()
	commit()

	want := []string{"a: a0 → a1", "a: a1 → a2", "b: b1 → b2"}
	if strings.Join(updates, "; ") != strings.Join(want, "; ") {
		t.Errorf("updates %q; want %q", updates, want)
	}
	if len(s.saved) != 1 || s.saved["b"] != "b1" {
		t.Errorf("saved %v; want only b's first, unread row", s.saved)
	}
}
