package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/projections"
)

type verifyRead struct {
	Through uint64 `json:"through"`
	Events  uint64 `json:"events"`
	Hash    string `json:"hash"`
	Matches *bool  `json:"matches"`
}

// copyLog copies every event of from into a new store, at the same times,
// passing each through alter first.
func copyLog(t *testing.T, from eventstore.Store, alter func(*eventstore.EventData, int)) eventstore.Store {
	t.Helper()
	evs, err := from.ReadAll(context.Background(), eventstore.ReadAllOptions{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	to, err := memstore.New(memstore.Config{Clock: func() time.Time { return evs[i].Created }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { to.Close() })
	for ; i < len(evs); i++ {
		ev := evs[i]
		d := eventstore.EventData{ID: ev.ID, Type: ev.Type, Data: append([]byte(nil), ev.Data...), Metadata: ev.Metadata}
		alter(&d, i)
		if _, err := to.Append(context.Background(), ev.StreamID, eventstore.Any(), d); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// verifyOn answers GET /audit/verify from a server over store.
func (h *readHarness) verifyOn(store eventstore.Store, query string) verifyRead {
	h.t.Helper()
	srv, err := api.NewServer(api.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Verifier: h.mint},
		api.Config{RatePerSecond: -1})
	if err != nil {
		h.t.Fatal(err)
	}
	reader, err := projections.NewReader(h.views, projections.ReaderConfig{})
	if err != nil {
		h.t.Fatal(err)
	}
	routes, err := api.NewReadRoutes(api.ReadDeps{Reader: reader, Store: store}, api.ReadConfig{})
	if err != nil {
		h.t.Fatal(err)
	}
	routes.Mount(srv)
	rec := h.sendTo(srv, req{method: http.MethodGet, path: api.APIPrefix + "/audit/verify" + query, as: &auditor})
	var out verifyRead
	h.decode(rec, &out)
	return out
}

// TestAuditVerify: the chain at a position stays the same as the log grows,
// is the same for an identical copy of the log, and differs when one event
// was altered.
func TestAuditVerify(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	h.world()
	through := uint64(h.head())
	var first verifyRead
	h.getInto(auditor, api.APIPrefix+"/audit/verify", &first)
	if first.Through != through || first.Events != through || len(first.Hash) != 64 {
		t.Fatalf("verify = %+v, want %d events through %d and a SHA-256", first, through, through)
	}
	h.placeOrder(residentB)
	var later, head verifyRead
	at := "?through=" + strconv.FormatUint(through, 10)
	h.getInto(auditor, api.APIPrefix+"/audit/verify"+at+"&expect="+first.Hash, &later)
	if later.Hash != first.Hash || later.Matches == nil || !*later.Matches {
		t.Fatalf("verify through %d after more events = %+v, want the first hash %s matching", through, later, first.Hash)
	}
	h.getInto(auditor, api.APIPrefix+"/audit/verify", &head)
	if head.Hash == first.Hash || head.Through != uint64(h.head()) {
		t.Fatalf("verify at the head %+v, want a new hash through %d", head, h.head())
	}

	same := copyLog(t, h.store, func(*eventstore.EventData, int) {})
	if got := h.verifyOn(same, at); got.Hash != first.Hash {
		t.Fatalf("identical copy: hash %s, want %s", got.Hash, first.Hash)
	}
	altered := copyLog(t, h.store, func(d *eventstore.EventData, i int) {
		if i == 2 {
			d.Data[len(d.Data)-2] ^= 1
		}
	})
	if got := h.verifyOn(altered, at); got.Hash == first.Hash {
		t.Fatalf("a copy with event 3 altered has the same hash %s", got.Hash)
	}

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"?through=x", http.StatusBadRequest},
		{"?expect=abc", http.StatusBadRequest},
		{"?through=100000", http.StatusNotFound},
	} {
		if rec := h.send(req{method: http.MethodGet, path: api.APIPrefix + "/audit/verify" + tc.query, as: &auditor}); rec.Code != tc.want {
			t.Errorf("%s: status %d, want %d; body %s", tc.query, rec.Code, tc.want, rec.Body)
		}
	}
	if rec := h.send(req{method: http.MethodGet, path: api.APIPrefix + "/audit/verify", as: &coordinator}); rec.Code != http.StatusForbidden {
		t.Errorf("coordinator: status %d, want 403", rec.Code)
	}
}
