package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/projections"
)

// TestRebuildInTheServer: an admin rebuilds the read models of the running
// server; GET follows it to the end; reads answer throughout and after.
func TestRebuildInTheServer(t *testing.T) {
	h := newReadHarness(t, readOptions{})
	st := h.station(0).ID
	h.registerTeam(st, 5, "errand")
	id := h.placeOrder(residentA)
	h.get(coordinator, api.APIPrefix+"/projections/rebuild", http.StatusNotFound)

	h.post(coordinator, api.APIPrefix+"/projections/rebuild", `{}`, http.StatusForbidden)
	h.post(admin, api.APIPrefix+"/projections/rebuild", `{"only":["nope"]}`, http.StatusUnprocessableEntity)

	started := h.post(admin, api.APIPrefix+"/projections/rebuild", ``, http.StatusAccepted)
	if started["state"] != api.RebuildRunning && started["state"] != api.RebuildDone {
		t.Fatalf("started: %v", started)
	}
	done := waitRebuild(t, h)
	if done.State != api.RebuildDone || done.Error != "" || done.By != admin.Subject {
		t.Fatalf("rebuild: %+v; want done by %s", done, admin.Subject)
	}
	if uint64(h.head()) != done.Position || done.Events == 0 {
		t.Fatalf("rebuild reached position %d with %d events; want the head %d", done.Position, done.Events, h.head())
	}
	if !slices.Equal(done.Projections, h.pipe.Names()) {
		t.Fatalf("rebuilt %v; want every projection %v", done.Projections, h.pipe.Names())
	}
	// The live projections go on from the rebuilt checkpoint.
	second := h.placeOrder(residentA)
	for _, o := range []string{id, second} {
		h.get(residentA, api.APIPrefix+"/orders/"+o, http.StatusOK)
	}

	h.post(admin, api.APIPrefix+"/projections/rebuild", `{"only":["queue","queue"]}`, http.StatusAccepted)
	if only := waitRebuild(t, h); only.State != api.RebuildDone || !slices.Equal(only.Projections, []string{"queue"}) {
		t.Fatalf("rebuild of the queue: %+v", only)
	}
}

// waitRebuild follows GET /projections/rebuild until the rebuild ended.
func waitRebuild(t *testing.T, h *readHarness) api.RebuildStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec := h.send(req{method: http.MethodGet, path: api.APIPrefix + "/projections/rebuild", as: &admin})
		var st api.RebuildStatus
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
			t.Fatalf("GET rebuild: %d %s", rec.Code, rec.Body)
		}
		if st.State != api.RebuildRunning {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rebuild still runs after 30 s: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// heldRebuilder is a Rebuilder that reports progress and then waits to be
// released or cancelled.
type heldRebuilder struct {
	release chan struct{}
	started chan struct{}
	mu      sync.Mutex
	only    [][]string
}

func (b *heldRebuilder) Names() []string { return []string{"orders", "queue"} }

func (b *heldRebuilder) Rebuild(ctx context.Context, progress func(projections.Progress), only ...string) (projections.RebuildResult, error) {
	b.mu.Lock()
	b.only = append(b.only, only)
	b.mu.Unlock()
	progress(projections.Progress{Events: 5, Position: 5, Head: 10, Rate: 100, ETA: time.Second})
	b.started <- struct{}{}
	select {
	case <-b.release:
		return projections.RebuildResult{Projections: []string{"orders", "queue"}, Events: 10, Position: 10, Elapsed: time.Second}, nil
	case <-ctx.Done():
		return projections.RebuildResult{}, ctx.Err()
	}
}

// TestRebuildOneAtATime: a second rebuild while one runs is refused with 409;
// progress is visible while it runs; stopping the server cancels it.
func TestRebuildOneAtATime(t *testing.T) {
	rh := newReadHarness(t, readOptions{})
	h := newCmdHarnessOn(t, rh.store)
	reader, err := projections.NewReader(rh.views, projections.ReaderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	b := &heldRebuilder{release: make(chan struct{}), started: make(chan struct{}, 1)}
	routes, err := api.NewReadRoutes(api.ReadDeps{Reader: reader, Rebuilder: b}, api.ReadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	routes.Mount(h.srv)

	h.post(admin, api.APIPrefix+"/projections/rebuild", `{"only":["queue"]}`, http.StatusAccepted)
	<-b.started
	h.post(admin, api.APIPrefix+"/projections/rebuild", `{}`, http.StatusConflict)
	var st api.RebuildStatus
	rec := h.send(req{method: http.MethodGet, path: api.APIPrefix + "/projections/rebuild", as: &coordinator})
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.State != api.RebuildRunning ||
		st.Events != 5 || st.Head != 10 || st.ETASeconds != 1 {
		t.Fatalf("while running: %d %s; want running at 5 of 10 events", rec.Code, rec.Body)
	}
	close(b.release)
	deadline := time.Now().Add(10 * time.Second)
	for st.State == api.RebuildRunning && time.Now().Before(deadline) {
		rec = h.send(req{method: http.MethodGet, path: api.APIPrefix + "/projections/rebuild", as: &coordinator})
		_ = json.Unmarshal(rec.Body.Bytes(), &st)
		time.Sleep(2 * time.Millisecond)
	}
	if st.State != api.RebuildDone || st.Events != 10 || st.FinishedAt == nil {
		t.Fatalf("after release: %+v", st)
	}

	b.release = make(chan struct{}) // never released: the server stops it
	h.post(admin, api.APIPrefix+"/projections/rebuild", ``, http.StatusAccepted)
	<-b.started
	routes.StopRebuild()
	rec = h.send(req{method: http.MethodGet, path: api.APIPrefix + "/projections/rebuild", as: &coordinator})
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.State != api.RebuildFailed || st.Error == "" {
		t.Fatalf("after StopRebuild: %d %s; want failed with a reason", rec.Code, rec.Body)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.only) != 2 || !slices.Equal(b.only[0], []string{"queue"}) || len(b.only[1]) != 0 {
		t.Fatalf("rebuilds asked for %v; want [queue] then every projection", b.only)
	}
}
