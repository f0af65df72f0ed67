package api_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api"
)

type result struct {
	status int
	body   string
	err    error
}

// slowRoute registers GET /api/v1/slow, which tells started it is running,
// then finishes when release is closed or gives up when its request's
// context ends (telling aborted).
func slowRoute(f *fixture, started chan<- struct{}, release <-chan struct{}, aborted chan<- struct{}) {
	f.srv.Register(func(g *echo.Group) {
		g.GET("/slow", func(c echo.Context) error {
			started <- struct{}{}
			select {
			case <-release:
				return c.String(http.StatusOK, "finished")
			case <-c.Request().Context().Done():
				close(aborted)
				return c.Request().Context().Err()
			}
		})
	})
}

func startServing(t *testing.T, f *fixture) (addr string, stop context.CancelFunc, served <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	t.Cleanup(cancel)
	return ln.Addr().String(), cancel, done
}

func get(url, token string) <-chan result {
	out := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	return out
}

func TestGracefulShutdownLetsARequestInFlightFinish(t *testing.T) {
	f := newFixture(t, api.Config{ShutdownTimeout: time.Minute})
	started, release, aborted := make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	slowRoute(f, started, release, aborted)
	addr, stop, served := startServing(t, f)

	res := get("http://"+addr+"/api/v1/slow", f.token(t, resident))
	<-started
	stop() // what SIGTERM does in `paidan serve`
	<-f.srv.ShuttingDown()

	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("a new connection was accepted after shutdown began")
	}
	rec := f.do(t, http.MethodGet, "/readyz", "", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "shutting down") {
		t.Errorf("/readyz while shutting down = %d %s; want 503 saying so", rec.Code, rec.Body)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}

	close(release)
	r := <-res
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Fatalf("the request in flight got %d %q %v; want 200 finished", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve after a clean shutdown: %v", err)
	}
	select {
	case <-aborted:
		t.Error("the request in flight had its context cancelled")
	default:
	}
}

func TestShutdownTimeoutCutsOffStragglers(t *testing.T) {
	f := newFixture(t, api.Config{ShutdownTimeout: 50 * time.Millisecond})
	started, release, aborted := make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	defer close(release)
	slowRoute(f, started, release, aborted)
	addr, stop, served := startServing(t, f)

	res := get("http://"+addr+"/api/v1/slow", f.token(t, resident))
	<-started
	stop()
	err := <-served
	if err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("Serve = %v; want an error saying requests were cut off", err)
	}
	<-aborted // the straggler's context is cancelled so it can stop work
	if r := <-res; r.err == nil && r.status == http.StatusOK {
		t.Errorf("the straggler got %d %q; want its connection closed", r.status, r.body)
	}
}

func TestServeTwice(t *testing.T) {
	f := newFixture(t, api.Config{})
	addr, stop, served := startServing(t, f)
	// An answer proves the first Serve is running before the second call.
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // should the second Serve run after all, it stops at once
	if err := f.srv.Serve(ctx, ln); err == nil {
		t.Error("a second Serve succeeded")
	}
	stop()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Serve: %v", err)
	}
}
