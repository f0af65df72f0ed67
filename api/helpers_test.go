package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/ops"
)

var testSecret = []byte(strings.Repeat("t", 32))

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type fixture struct {
	srv   *api.Server
	mint  *auth.HMAC
	logs  *syncBuffer
	ready *ops.Readiness
}

type body struct {
	Title string `json:"title"`
	Stars int    `json:"stars"`
}

// newFixture builds a server with test routes under /api/v1.
func newFixture(t *testing.T, cfg api.Config) *fixture {
	t.Helper()
	h, err := auth.NewHMAC(testSecret, auth.HMACConfig{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ready := ops.NewReadiness(0)
	srv, err := api.NewServer(api.Deps{
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Verifier:  h,
		Readiness: ready,
	}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Register(func(g *echo.Group) {
		g.POST("/echo", func(c echo.Context) error {
			var b body
			if err := api.Bind(c, &b); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, b)
		})
		g.POST("/optional", func(c echo.Context) error {
			var b body
			if err := api.BindOptional(c, &b); err != nil {
				return err
			}
			return c.JSON(http.StatusOK, b)
		})
		g.GET("/whoami", func(c echo.Context) error {
			a, err := api.Actor(c)
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, a)
		})
		g.GET("/coordinators", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) },
			api.RequireRole(domain.RoleCoordinator, domain.RoleAdmin))
		g.GET("/conflict", func(echo.Context) error {
			return errors.Join(errors.New("dispatch order-1"), domain.ErrConflict)
		})
		g.GET("/secret-failure", func(echo.Context) error {
			return errors.New("dial tcp 10.0.0.7:5432: secret internals")
		})
		g.GET("/panic", func(echo.Context) error { panic("boom: secret internals") })
	})
	return &fixture{srv: srv, mint: h, logs: logs, ready: ready}
}

func (f *fixture) token(t *testing.T, a domain.Actor) string {
	t.Helper()
	tok, err := f.mint.Mint(a, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do sends one request through the server's handler.
func (f *fixture) do(t *testing.T, method, path, token string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

type envelope struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// wantError asserts status and the envelope's code, returning the envelope.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("status %d, body %q is not the error envelope: %v", rec.Code, rec.Body, err)
	}
	if rec.Code != status || env.Error.Code != code {
		t.Fatalf("got %d %s (%q); want %d %s", rec.Code, env.Error.Code, env.Error.Message, status, code)
	}
	if env.Error.Message == "" {
		t.Error("error envelope without a message")
	}
	return env
}
