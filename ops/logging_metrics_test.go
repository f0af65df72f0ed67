package ops_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paidan/paidan/ops"
)

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := ops.NewLogger(&buf, "json", "warn")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("dropped")
	log.Warn("kept", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line with only the warning, got %q: %v", buf.String(), err)
	}
	if line["msg"] != "kept" || line["k"] != "v" {
		t.Errorf("got %v", line)
	}
	for _, bad := range [][2]string{{"xml", "info"}, {"json", "loud"}} {
		if _, err := ops.NewLogger(&buf, bad[0], bad[1]); err == nil {
			t.Errorf("NewLogger(%q, %q) succeeded", bad[0], bad[1])
		}
	}
}

func TestHTTPMetrics(t *testing.T) {
	reg := ops.NewRegistry()
	m, err := ops.NewHTTPMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.Start()("POST", "/api/v1/orders", 201)
	m.Start()("POST", "/api/v1/orders", 201)
	m.Start()("GET", "/healthz", 200)
	if _, err := ops.NewHTTPMetrics(reg); err == nil {
		t.Error("registering the HTTP metrics twice on one registry succeeded")
	}

	rec := httptest.NewRecorder()
	ops.MetricsHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`paidan_http_requests_total{method="POST",route="/api/v1/orders",status="201"} 2`,
		`paidan_http_request_duration_seconds_count{method="GET",route="/healthz"} 1`,
		`paidan_http_requests_in_flight 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
