package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/domain"
)

var resident = domain.Actor{Subject: "r1", Role: domain.RoleResident}

func TestBind(t *testing.T) {
	f := newFixture(t, api.Config{})
	tok := f.token(t, resident)
	big := `{"title":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		path   string
		body   io.Reader
		status int
		code   string // "" for success
		msgHas string
	}{
		{"good", "/api/v1/echo", strings.NewReader(`{"title":"help","stars":5}`), 200, "", ""},
		{"unknown field", "/api/v1/echo", strings.NewReader(`{"title":"x","actor":"admin"}`), 400, "malformed_request", `"actor"`},
		{"wrong type", "/api/v1/echo", strings.NewReader(`{"stars":"five"}`), 400, "malformed_request", `field "stars": expected a whole number, found a JSON string`},
		{"syntax", "/api/v1/echo", strings.NewReader(`{"title":`), 400, "malformed_request", "complete"},
		{"bad token in the middle", "/api/v1/echo", strings.NewReader(`{"title" "x"}`), 400, "malformed_request", "not valid JSON at byte"},
		{"two values", "/api/v1/echo", strings.NewReader(`{"title":"a"} {"title":"b"}`), 400, "malformed_request", "more data after it"},
		{"an array", "/api/v1/echo", strings.NewReader(`[1]`), 400, "malformed_request", "found an array"},
		{"null", "/api/v1/echo", strings.NewReader(`null`), 400, "malformed_request", "found null"},
		{"empty", "/api/v1/echo", strings.NewReader(``), 400, "malformed_request", "empty"},
		{"empty is fine where optional", "/api/v1/optional", strings.NewReader(``), 200, "", ""},
		{"optional still strict", "/api/v1/optional", strings.NewReader(`{"nope":1}`), 400, "malformed_request", `"nope"`},
		{"over 1 MiB with Content-Length", "/api/v1/echo", strings.NewReader(big), 413, "payload_too_large", "1048576"},
		// A reader that is neither *strings.Reader nor *bytes.Buffer leaves
		// ContentLength unknown (-1), as a chunked upload does.
		{"over 1 MiB without Content-Length", "/api/v1/echo", io.MultiReader(strings.NewReader(big)), 413, "payload_too_large", ""},
		{"trailing whitespace is fine", "/api/v1/echo", strings.NewReader("{\"title\":\"a\"}\n\n"), 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, http.MethodPost, tt.path, tok, tt.body, "Content-Type", "application/json")
			if tt.code == "" {
				if rec.Code != tt.status {
					t.Fatalf("got %d %s; want %d", rec.Code, rec.Body, tt.status)
				}
				return
			}
			env := wantError(t, rec, tt.status, tt.code)
			if !strings.Contains(env.Error.Message, tt.msgHas) {
				t.Errorf("message %q lacks %q", env.Error.Message, tt.msgHas)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, api.Config{})
	tests := []struct {
		name   string
		header string
		status int
		code   string
		authn  string // expected WWW-Authenticate prefix
	}{
		{"no header", "", 401, "unauthenticated", `Bearer realm="paidan"`},
		{"not bearer", "Basic dTpw", 401, "unauthenticated", `Bearer realm="paidan"`},
		{"empty bearer", "Bearer ", 401, "unauthenticated", `Bearer realm="paidan"`},
		{"garbage token", "Bearer abc.def.ghi", 401, "unauthenticated", `Bearer realm="paidan", error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, http.MethodGet, "/api/v1/whoami", "", nil, "Authorization", tt.header)
			wantError(t, rec, tt.status, tt.code)
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.authn {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.authn)
			}
		})
	}

	t.Run("valid token puts the actor in the context", func(t *testing.T) {
		a := domain.Actor{Subject: "lead", Role: domain.RoleTeam, TeamID: "team-9"}
		rec := f.do(t, http.MethodGet, "/api/v1/whoami", f.token(t, a), nil)
		var got domain.Actor
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got != a {
			t.Fatalf("got %d %s; want 200 with %+v", rec.Code, rec.Body, a)
		}
	})
	t.Run("unknown routes under /api/v1 need sign-in too", func(t *testing.T) {
		wantError(t, f.do(t, http.MethodGet, "/api/v1/nothing-here", "", nil), 401, "unauthenticated")
		wantError(t, f.do(t, http.MethodGet, "/api/v1/nothing-here", f.token(t, resident), nil), 404, "not_found")
	})
}

func TestRequireRole(t *testing.T) {
	f := newFixture(t, api.Config{})
	tests := []struct {
		role   domain.Role
		team   string
		status int
	}{
		{domain.RoleCoordinator, "", 204},
		{domain.RoleAdmin, "", 204},
		{domain.RoleResident, "", 403},
		{domain.RoleTeam, "t1", 403},
		{domain.RoleAuditor, "", 403},
		{domain.RoleAnalyst, "", 403},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			tok := f.token(t, domain.Actor{Subject: "s", Role: tt.role, TeamID: tt.team})
			rec := f.do(t, http.MethodGet, "/api/v1/coordinators", tok, nil)
			if tt.status != 403 {
				if rec.Code != tt.status {
					t.Fatalf("got %d %s; want %d", rec.Code, rec.Body, tt.status)
				}
				return
			}
			env := wantError(t, rec, 403, "forbidden")
			if !strings.Contains(env.Error.Message, "coordinator or admin") || !strings.Contains(env.Error.Message, string(tt.role)) {
				t.Errorf("message %q should name the roles wanted and the role found", env.Error.Message)
			}
		})
	}
}

func TestErrorsThroughTheServer(t *testing.T) {
	f := newFixture(t, api.Config{})
	tok := f.token(t, resident)

	wantError(t, f.do(t, http.MethodGet, "/api/v1/conflict", tok, nil), 409, "conflict")
	wantError(t, f.do(t, http.MethodGet, "/nowhere", "", nil), 404, "not_found")
	wantError(t, f.do(t, http.MethodPost, "/healthz", "", nil), 405, "method_not_allowed")

	for _, path := range []string{"/api/v1/secret-failure", "/api/v1/panic"} {
		rec := f.do(t, http.MethodGet, path, tok, nil)
		env := wantError(t, rec, 500, "internal")
		if strings.Contains(rec.Body.String(), "secret internals") || strings.Contains(rec.Body.String(), "goroutine") {
			t.Errorf("%s: response reveals internals: %s", path, rec.Body)
		}
		if env.Error.Message == "" {
			t.Errorf("%s: no message", path)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "secret internals") || !strings.Contains(logs, "panic in handler") {
		t.Errorf("the 500s' causes are not in the log:\n%s", logs)
	}
}

func TestRequestID(t *testing.T) {
	f := newFixture(t, api.Config{})
	tests := []struct {
		name, in string
		kept     bool
	}{
		{"client id kept", "abc-123_x.y:z", true},
		{"none given", "", false},
		{"unsafe id replaced", "evil\nlog line", false},
		{"overlong id replaced", strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, http.MethodGet, "/healthz", "", nil, api.HeaderRequestID, tt.in)
			got := rec.Header().Get(api.HeaderRequestID)
			if tt.kept && got != tt.in {
				t.Errorf("X-Request-ID = %q, want %q echoed", got, tt.in)
			}
			if !tt.kept && (got == "" || got == tt.in) {
				t.Errorf("X-Request-ID = %q; want a fresh id", got)
			}
		})
	}
	rec := f.do(t, http.MethodGet, "/api/v1/whoami", "", nil, api.HeaderRequestID, "req-42")
	if !strings.Contains(f.logs.String(), `"request_id":"req-42"`) || rec.Header().Get(api.HeaderRequestID) != "req-42" {
		t.Error("the request id is not echoed on an error response or not logged")
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, api.Config{RatePerSecond: 0.001, RateBurst: 3})
	a := f.token(t, resident)
	b := f.token(t, domain.Actor{Subject: "r2", Role: domain.RoleResident})
	for i := range 3 {
		if rec := f.do(t, http.MethodGet, "/api/v1/whoami", a, nil); rec.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, rec.Code)
		}
	}
	rec := f.do(t, http.MethodGet, "/api/v1/whoami", a, nil)
	wantError(t, rec, 429, "rate_limited")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if rec := f.do(t, http.MethodGet, "/api/v1/whoami", b, nil); rec.Code != 200 {
		t.Errorf("another subject was limited too: %d", rec.Code)
	}
	if rec := f.do(t, http.MethodGet, "/healthz", "", nil); rec.Code != 200 {
		t.Errorf("/healthz is rate limited: %d", rec.Code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	f := newFixture(t, api.Config{})
	caughtUp := false
	if err := f.ready.Register("store", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := f.ready.Register("projections", func(context.Context) error {
		if !caughtUp {
			return errors.New("orders: 120 events behind")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if rec := f.do(t, http.MethodGet, "/healthz", "", nil); rec.Code != 200 {
		t.Errorf("/healthz = %d, want 200 even while not ready", rec.Code)
	}

	type report struct {
		Ready  bool
		Checks []struct {
			Name  string
			OK    bool
			Error string
		}
	}
	get := func() (int, report) {
		rec := f.do(t, http.MethodGet, "/readyz", "", nil)
		var r report
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("/readyz body %q: %v", rec.Body, err)
		}
		return rec.Code, r
	}
	code, r := get()
	if code != 503 || r.Ready || len(r.Checks) != 2 || r.Checks[0].Name != "projections" || r.Checks[0].OK ||
		!strings.Contains(r.Checks[0].Error, "behind") || !r.Checks[1].OK {
		t.Errorf("before catching up: %d %+v; want 503 listing projections failing and store passing", code, r)
	}
	caughtUp = true
	if code, r := get(); code != 200 || !r.Ready {
		t.Errorf("after catching up: %d %+v; want 200", code, r)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	f := newFixture(t, api.Config{})
	f.do(t, http.MethodPost, "/api/v1/echo", f.token(t, resident), bytes.NewReader([]byte(`{}`)))
	f.do(t, http.MethodGet, "/no/such/path/12345", "", nil)
	rec := f.do(t, http.MethodGet, "/metrics", "", nil)
	out := rec.Body.String()
	for _, want := range []string{
		`paidan_http_requests_total{method="POST",route="/api/v1/echo",status="200"} 1`,
		`paidan_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`paidan_http_request_duration_seconds_bucket{method="POST",route="/api/v1/echo"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(out, "/no/such/path") {
		t.Error("a raw unmatched path became a metric label")
	}
}
