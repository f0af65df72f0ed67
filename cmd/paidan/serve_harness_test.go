package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/ops"
)

// served is `paidan serve` running in the test's process: runServe with the
// settings a command line and an environment would give it.
type served struct {
	t      *testing.T
	url    string
	data   string
	minter *auth.HMAC
	client *http.Client

	out  *lockedBuffer // what serve printed after the first line
	logs *lockedBuffer

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// lockedBuffer is written by serve and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServe runs serve on a free port with its data in dataDir, env as the
// environment (nothing else of the process's is seen) and args as flags. It
// returns once serve printed its URL; the server is stopped at cleanup.
func startServe(t *testing.T, dataDir string, env map[string]string, args ...string) *served {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	ops.AddServeFlags(fs)
	args = append([]string{"--http", "127.0.0.1:0", "--data", dataDir, "--log-level", "warn"}, args...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := ops.LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, fs)
	if err != nil {
		t.Fatalf("settings %v %v: %v", env, args, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &served{t: t, data: dataDir, out: &lockedBuffer{}, logs: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Timeout: 30 * time.Second}}
	pr, pw := io.Pipe()
	go func() {
		err := runServe(ctx, cfg, pw, s.logs)
		pw.Close()
		s.done <- err
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.logs.String())
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		s.stop()
		t.Fatalf("serve printed no URL: %v (serve returned %v)", err, s.err)
	}
	go func() { _, _ = io.Copy(s.out, pr) }()
	s.url = regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if s.url == "" {
		t.Fatalf("no URL in serve's first line %q", line)
	}
	secret, err := auth.LoadOrCreateSecret(dataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.minter, err = auth.NewHMAC(secret, auth.HMACConfig{}); err != nil {
		t.Fatal(err)
	}
	return s
}

// stop is SIGTERM: it cancels serve's context and returns serve's result.
func (s *served) stop() error {
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(60 * time.Second):
			s.err = fmt.Errorf("serve did not return within a minute of cancellation")
		}
	})
	return s.err
}

func (s *served) token(a domain.Actor) string {
	s.t.Helper()
	tok, err := s.minter.Mint(a, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r reply) str(key string) string { v, _ := r.body[key].(string); return v }

// errorCode is the code of an error envelope.
func (r reply) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// position is the X-Paidan-Position a command answered with.
func (r reply) position() string { return r.header.Get(api.HeaderPosition) }

// call sends a request as token (none when empty) and decodes the JSON answer.
func (s *served) call(method, path, token string, body any, header map[string]string) reply {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			s.t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
		}
	}
	return r
}

// must sends a request and requires the status.
func (s *served) must(want int, method, path, token string, body any) reply {
	s.t.Helper()
	r := s.call(method, path, token, body, nil)
	if r.status != want {
		s.t.Fatalf("%s %s: expected status %d, found %d: %s", method, path, want, r.status, r.raw)
	}
	return r
}

// readAt reads path once the read models reached pos (a command's
// X-Paidan-Position), and requires 200 and a fresh answer.
func (s *served) readAt(path, token, pos string) reply {
	s.t.Helper()
	r := s.call(http.MethodGet, path, token, nil, map[string]string{api.HeaderMinPosition: pos})
	if r.status != http.StatusOK {
		s.t.Fatalf("GET %s at position %s: expected 200, found %d: %s", path, pos, r.status, r.raw)
	}
	if r.header.Get(api.HeaderStale) != "" {
		s.t.Fatalf("GET %s: the read model did not reach position %s in time", path, pos)
	}
	return r
}

// eventually polls cond until it holds, failing after limit. It is for
// effects of background work (the dispatcher, the demo load) that no
// request can wait on.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("expected %s within %s; it did not happen", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady polls /readyz until it answers 200.
func (s *served) waitReady(limit time.Duration) {
	s.t.Helper()
	var last reply
	eventually(s.t, limit, "/readyz to answer 200", func() bool {
		last = s.call(http.MethodGet, "/readyz", "", nil, nil)
		return last.status == http.StatusOK
	})
}

// metric returns the value of a series in /metrics (0 when absent).
func (s *served) metric(series string) float64 {
	s.t.Helper()
	r := s.call(http.MethodGet, "/metrics", "", nil, nil)
	for _, line := range strings.Split(r.raw, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				s.t.Fatalf("metric %s: %q: %v", series, rest, err)
			}
			return v
		}
	}
	return 0
}
