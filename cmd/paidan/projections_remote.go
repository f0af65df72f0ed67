package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/ops"
	"github.com/paidan/paidan/projections"
)

// EnvToken is the bearer token the projections tools send to a running
// server when they cannot mint one (the server verifies with JWKS).
const EnvToken = "PAIDAN_TOKEN"

// remoteProjections runs the projections tools through the server that
// holds the embedded store: while it runs no other process may open the
// store, and a rebuild inside it needs no downtime.
type remoteProjections struct {
	base   string
	token  string
	client *http.Client
}

// toolActor is who the tools act as on the server.
var toolActor = domain.Actor{Subject: "paidan-cli", Role: domain.RoleAdmin}

// newRemoteProjections reaches the server at cfg.HTTPAddr as an admin, with
// token if given, else one minted from the data directory's signing secret
// (the tools run beside the server, on its data directory).
func newRemoteProjections(cfg ops.Config, token string) (*remoteProjections, error) {
	if token == "" {
		token = os.Getenv(EnvToken)
	}
	if token == "" {
		if cfg.JWKSURL != "" {
			return nil, fmt.Errorf("the server verifies tokens with %s, so this tool cannot sign one: pass an admin's with --token or %s", ops.EnvJWKSURL, EnvToken)
		}
		secret, err := auth.LoadOrCreateSecret(cfg.DataDir, cfg.JWTSecret)
		if err != nil {
			return nil, err
		}
		minter, err := auth.NewHMAC(secret, auth.HMACConfig{})
		if err != nil {
			return nil, err
		}
		if token, err = minter.Mint(toolActor, 10*time.Minute); err != nil {
			return nil, err
		}
	}
	return &remoteProjections{base: serverURL(cfg.HTTPAddr), token: token, client: &http.Client{Timeout: 30 * time.Second}}, nil
}

// serverURL is the base URL of a server listening on addr; a listener on
// every interface is reached on the loopback one.
func serverURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// do sends a request and decodes a 2xx answer into out, or returns the
// server's error message.
func (r *remoteProjections) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+api.APIPrefix+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("no server answers at %s (set --%s or %s to the address of the one holding the store): %w",
			r.base, ops.FlagHTTPAddr, ops.EnvHTTPAddr, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("server at %s: %s %s: %d %s: %s", r.base, method, path, resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("server at %s: %s %s: %s", r.base, method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: answer %q: %w", method, path, truncate(raw, 200), err)
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// status is GET /projections.
func (r *remoteProjections) status(ctx context.Context) ([]projections.Status, error) {
	var body struct {
		Projections []projections.Status `json:"projections"`
	}
	err := r.do(ctx, http.MethodGet, "/projections?parked_limit=1", nil, &body)
	return body.Projections, err
}

// rebuild starts a rebuild in the server and follows it to its end, passing
// each status it sees to progress.
func (r *remoteProjections) rebuild(ctx context.Context, only []string, every time.Duration, progress func(api.RebuildStatus)) (api.RebuildStatus, error) {
	var st api.RebuildStatus
	if err := r.do(ctx, http.MethodPost, "/projections/rebuild", map[string]any{"only": only}, &st); err != nil {
		return st, err
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for st.State == api.RebuildRunning {
		progress(st)
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("stopped following the rebuild, which goes on in the server (GET %s%s/projections/rebuild): %w", r.base, api.APIPrefix, ctx.Err())
		case <-t.C:
		}
		if err := r.do(ctx, http.MethodGet, "/projections/rebuild", nil, &st); err != nil {
			return st, err
		}
	}
	progress(st)
	if st.State == api.RebuildFailed {
		return st, fmt.Errorf("the rebuild in the server failed: %s", st.Error)
	}
	return st, nil
}

// storeHeldBy says whether an error opening the store means another process
// (a running server, as a rule) holds the embedded store.
func storeHeldBy(err error) bool {
	return errors.Is(err, embedded.ErrLocked)
}

// remoteHint is the line the tools print when they go through the server.
func remoteHint(r *remoteProjections) string {
	return "another process holds the embedded store; asking the server at " + strings.TrimPrefix(r.base, "http://")
}
