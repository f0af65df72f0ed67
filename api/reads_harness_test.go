package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore/memstore"
	"github.com/paidan/paidan/projections"
)

// The read side's harness: the write side's harness (commands over HTTP on
// an in-memory store whose events carry the test clock's time), every
// projection running on SQLite read models, and the read routes mounted.
type readHarness struct {
	*cmdHarness
	pipe   *projections.Pipeline
	views  *projections.Views
	routes *api.ReadRoutes
}

type readOptions struct {
	cfg      api.ReadConfig
	pageSize int
}

func newReadHarness(t *testing.T, opts readOptions) *readHarness {
	t.Helper()
	var h *cmdHarness
	store, err := memstore.New(memstore.Config{Clock: func() time.Time { return h.clock.Now() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h = newCmdHarnessOn(t, store)

	ctx, cancel := context.WithCancel(context.Background())
	views, err := projections.OpenViews(ctx, projections.ViewsConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// Migrated before the pipeline starts, so reads never race its start.
	if err := views.Migrate(ctx, projections.Definitions()...); err != nil {
		t.Fatal(err)
	}
	pipe, err := projections.NewPipeline(store, views, projections.PipelineConfig{
		Projections: projections.Definitions(), Decode: projections.DecodeDomainFast,
		Registerer: prometheus.NewRegistry(), BatchInterval: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pipe.Run(ctx) }()
	t.Cleanup(func() {
		// Stop with every batch committed: Pipeline.Run can hang flushing
		// batches left open by a cancellation (seen with several runners
		// holding work when ctx ends).
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		if err := pipe.WaitFor(wctx, h.head()); err != nil {
			t.Errorf("pipeline did not reach the head before stopping: %v", err)
		}
		wcancel()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
		views.Close()
	})
	reader, err := projections.NewReader(views, projections.ReaderConfig{Lag: pipe.Lag, MaxPageSize: opts.pageSize})
	if err != nil {
		t.Fatal(err)
	}
	cfg := opts.cfg
	if cfg.Now == nil {
		cfg.Now = h.clock.Now
	}
	routes, err := api.NewReadRoutes(api.ReadDeps{Reader: reader, Waiter: pipe, Status: pipe, Parked: views, Store: store,
		Rebuilder: pipe}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	routes.Mount(h.srv)
	return &readHarness{cmdHarness: h, pipe: pipe, views: views, routes: routes}
}

// get reads path as a after everything appended so far (it passes the log's
// head as min_position) and requires status want.
func (h *readHarness) get(a domain.Actor, path string, want int) map[string]any {
	h.t.Helper()
	rec := h.send(req{method: http.MethodGet, path: path, as: &a,
		header: map[string]string{api.HeaderMinPosition: strconv.FormatUint(uint64(h.head()), 10)}})
	return decodeStatus(h.t, rec, "GET "+path+" as "+a.Subject, want)
}

// getInto reads path like get and decodes a 200 body into out.
func (h *readHarness) getInto(a domain.Actor, path string, out any) {
	h.t.Helper()
	rec := h.send(req{method: http.MethodGet, path: path, as: &a,
		header: map[string]string{api.HeaderMinPosition: strconv.FormatUint(uint64(h.head()), 10)}})
	if rec.Code != http.StatusOK {
		h.t.Fatalf("GET %s as %s: status %d, want 200; body %s", path, a.Subject, rec.Code, rec.Body)
	}
	if rec.Header().Get(api.HeaderStale) != "" {
		h.t.Fatalf("GET %s: the read model did not reach the log's head in time", path)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		h.t.Fatalf("GET %s: body %s: %v", path, rec.Body, err)
	}
}

func decodeStatus(t *testing.T, rec *httptest.ResponseRecorder, what string, want int) map[string]any {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, rec.Code, want, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s: body %q: %v", what, rec.Body, err)
	}
	return out
}

// otherInstituteStation returns a station of the demo directory in another
// institute than station 0's.
func (h *readHarness) otherInstituteStation() domain.Station {
	h.t.Helper()
	first := h.station(0)
	for _, s := range h.dir.Stations() {
		if s.InstituteID != first.InstituteID {
			return s
		}
	}
	h.t.Fatal("the demo directory has one institute")
	return domain.Station{}
}

// placeAt places an order of category at station st as a.
func (h *readHarness) placeAt(a domain.Actor, category, st string) string {
	h.t.Helper()
	out := h.post(a, api.APIPrefix+"/orders", fmt.Sprintf(
		`{"category":%q,"title":"服务","details":"请上门服务","station_id":%q,"contact":"138-0000-0000"}`, category, st),
		http.StatusCreated)
	return out["order_id"].(string)
}

// serveOrder takes an order through dispatch to team, acceptance and
// completion, and a rating when stars > 0.
func (h *readHarness) serveOrder(id, team string, stars int) {
	h.t.Helper()
	h.post(coordinator, orderPath(id, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, team), http.StatusOK)
	h.post(member(team), orderPath(id, "accept"), `{}`, http.StatusOK)
	h.post(member(team), orderPath(id, "complete"), `{"notes":"完成","volunteer_hours":1}`, http.StatusOK)
	if stars > 0 {
		h.post(residentA, orderPath(id, "rate"), fmt.Sprintf(`{"stars":%d,"comment":"好"}`, stars), http.StatusOK)
	}
}

// sendTo sends a request without a body to another server than the harness's.
func (h *readHarness) sendTo(srv *api.Server, r req) *httptest.ResponseRecorder {
	h.t.Helper()
	hr := httptest.NewRequest(r.method, r.path, http.NoBody)
	if r.as != nil {
		hr.Header.Set("Authorization", "Bearer "+h.token(*r.as))
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, hr)
	return rec
}

// decode requires a 200 and decodes its body into out.
func (h *readHarness) decode(rec *httptest.ResponseRecorder, out any) {
	h.t.Helper()
	if rec.Code != http.StatusOK {
		h.t.Fatalf("status %d, want 200; body %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		h.t.Fatalf("body %s: %v", rec.Body, err)
	}
}
