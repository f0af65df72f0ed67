package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/ops"
)

// e2eServer is `paidan serve` on the embedded store in this process, with a
// temporary data directory, the dispatcher and every projection on: the
// same assembly (runServe) an operator starts.
type e2eServer struct {
	url    string
	minter *auth.HMAC
	dir    string
	cancel context.CancelFunc
	done   chan error
}

var serveURL = regexp.MustCompile(`http://[0-9.:]+`)

// startE2EServer starts serve on 127.0.0.1:0 and returns once it printed
// its URL. Its log (warnings and worse) goes to logOut.
func startE2EServer(ctx context.Context, logOut io.Writer) (*e2eServer, error) {
	dir, err := os.MkdirTemp("", "paidan-bench-e2e-")
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	secret := hex.EncodeToString(raw)
	// Tuning comes from the environment as for serve (PAIDAN_PROJECTION_LINGER,
	// PAIDAN_CACHE_STREAMS, PAIDAN_VIEWS_DSN, …); what the benchmark rests on
	// is fixed: the embedded store in a fresh directory, local tokens.
	cfg, err := ops.LoadConfig(os.LookupEnv, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("settings from the environment: %w", err)
	}
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.ESDBURL, cfg.JWKSURL = "", ""
	cfg.JWTSecret = secret
	cfg.AutoDispatch = true
	// Offers never expire during a run: every lifecycle accepts its offer.
	cfg.OfferTTL = time.Hour
	cfg.LogLevel = "warn"
	if err := cfg.Validate(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	minter, err := auth.NewHMAC([]byte(secret), auth.HMACConfig{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &e2eServer{minter: minter, dir: dir, cancel: cancel, done: make(chan error, 1)}
	pr, pw := io.Pipe()
	go func() {
		err := runServe(sctx, cfg, pw, logOut)
		pw.Close()
		s.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		serr := <-s.done
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench e2e: serve printed no URL: %w (serve returned %v)", err, serr)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if s.url = serveURL.FindString(line); s.url == "" {
		_ = s.stop()
		return nil, fmt.Errorf("bench e2e: expected serve's first line to carry its URL, found %q", line)
	}
	return s, nil
}

// waitReady polls /readyz until the projections and the dispatcher have
// caught up (a fresh store: at once, or nearly).
func (s *e2eServer) waitReady(ctx context.Context, client *http.Client) error {
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench e2e: expected /readyz to answer 200, last found %s: %w", last, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop shuts serve down in its own order and removes the data directory.
func (s *e2eServer) stop() error {
	s.cancel()
	err := <-s.done
	if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
