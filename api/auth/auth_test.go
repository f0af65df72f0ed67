package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

var (
	secret = []byte(strings.Repeat("k", 32))
	now    = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
)

func clock() time.Time { return now }

// sign builds a token from raw claims, so tests can craft what Mint refuses.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "u1", "role": "resident",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func newHMAC(t *testing.T) *auth.HMAC {
	t.Helper()
	h, err := auth.NewHMAC(secret, auth.HMACConfig{Now: clock, Leeway: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHMACVerify(t *testing.T) {
	h := newHMAC(t)
	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(), "")
	tests := []struct {
		name  string
		token string
		want  domain.Actor // zero: must be refused
	}{
		{"good", sign(t, jwt.SigningMethodHS256, secret, validClaims(), ""),
			domain.Actor{Subject: "u1", Role: domain.RoleResident}},
		{"team member", sign(t, jwt.SigningMethodHS256, secret, with(with(validClaims(), "role", "team"), "team_id", "t-7"), ""),
			domain.Actor{Subject: "u1", Role: domain.RoleTeam, TeamID: "t-7"}},
		{"expired", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "exp", now.Add(-time.Minute).Unix()), ""), domain.Actor{}},
		{"no expiry", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "exp", nil), ""), domain.Actor{}},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "iat", now.Add(time.Hour).Unix()), ""), domain.Actor{}},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), validClaims(), ""), domain.Actor{}},
		{"alg none", noneToken, domain.Actor{}},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, secret, validClaims(), ""), domain.Actor{}},
		{"unknown role", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "mayor"), ""), domain.Actor{}},
		{"system role", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "system"), ""), domain.Actor{}},
		{"team without team_id", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "role", "team"), ""), domain.Actor{}},
		{"team_id on a resident", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "team_id", "t-7"), ""), domain.Actor{}},
		{"no subject", sign(t, jwt.SigningMethodHS256, secret, with(validClaims(), "sub", nil), ""), domain.Actor{}},
		{"garbage", "not.a.token", domain.Actor{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(context.Background(), tt.token)
			if tt.want == (domain.Actor{}) {
				if !errors.Is(err, auth.ErrUnauthenticated) {
					t.Fatalf("got %+v, %v; want an error wrapping ErrUnauthenticated", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestMint(t *testing.T) {
	h := newHMAC(t)
	a := domain.Actor{Subject: "t-lead", Role: domain.RoleTeam, TeamID: "team-3"}
	tok, err := h.Mint(a, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.Verify(context.Background(), tok)
	if err != nil || got != a {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, err, a)
	}
	// The claims are exactly those of the contract.
	parts := strings.Split(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sub", "role", "team_id", "exp", "iat"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("minted token lacks claim %q: %v", k, claims)
		}
	}
	if exp := int64(claims["exp"].(float64)); exp != now.Add(time.Hour).Unix() {
		t.Errorf("exp = %d, want %d", exp, now.Add(time.Hour).Unix())
	}

	for _, bad := range []domain.Actor{
		{Subject: "x", Role: "mayor"},
		{Subject: "x", Role: domain.RoleTeam},
		{Subject: "", Role: domain.RoleResident},
		{Subject: "x", Role: domain.RoleSystem},
	} {
		if _, err := h.Mint(bad, time.Hour); !errors.Is(err, auth.ErrInvalidClaims) {
			t.Errorf("Mint(%+v) = %v; want ErrInvalidClaims", bad, err)
		}
	}
	if _, err := auth.NewHMAC([]byte("short"), auth.HMACConfig{}); err == nil {
		t.Error("NewHMAC accepted a 5-byte secret")
	}
}

// jwksServer serves a JWK Set holding pub under kid, declaring RS256.
func jwksServer(t *testing.T, pub *rsa.PublicKey, kid string) *httptest.Server {
	t.Helper()
	set := map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestJWKSVerify(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := jwksServer(t, &key.PublicKey, "k1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := auth.NewJWKS(ctx, auth.JWKSConfig{URL: srv.URL, Now: clock, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"RS256 by the provider's key", sign(t, jwt.SigningMethodRS256, key, validClaims(), "k1"), true},
		{"RS256 by another key", sign(t, jwt.SigningMethodRS256, other, validClaims(), "k1"), false},
		{"RS512 where the key declares RS256", sign(t, jwt.SigningMethodRS512, key, validClaims(), "k1"), false},
		{"HS256 with the local kind of secret", sign(t, jwt.SigningMethodHS256, secret, validClaims(), "k1"), false},
		{"HS256 keyed with the provider's public key", sign(t, jwt.SigningMethodHS256, pubPEM, validClaims(), "k1"), false},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(), "k1"), false},
		{"expired", sign(t, jwt.SigningMethodRS256, key, with(validClaims(), "exp", now.Add(-time.Hour).Unix()), "k1"), false},
		{"unknown role", sign(t, jwt.SigningMethodRS256, key, with(validClaims(), "role", "mayor"), "k1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.token)
			if tt.ok {
				want := domain.Actor{Subject: "u1", Role: domain.RoleResident}
				if err != nil || got != want {
					t.Fatalf("got %+v, %v; want %+v", got, err, want)
				}
				return
			}
			if !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("got %+v, %v; want an error wrapping ErrUnauthenticated", got, err)
			}
		})
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := auth.LoadOrCreateSecret(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < auth.MinSecretLength {
		t.Fatalf("generated secret is %d bytes, want at least %d", len(first), auth.MinSecretLength)
	}
	path := filepath.Join(dir, auth.SecretFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode = %#o, want 0600", perm)
	}
	again, err := auth.LoadOrCreateSecret(dir, "")
	if err != nil || string(again) != string(first) {
		t.Fatalf("second load = %q, %v; want the first secret %q", again, err, first)
	}

	fromEnv := strings.Repeat("e", 40)
	if got, err := auth.LoadOrCreateSecret(dir, fromEnv); err != nil || string(got) != fromEnv {
		t.Errorf("with PAIDAN_JWT_SECRET: got %q, %v; want the variable's value", got, err)
	}
	if _, err := auth.LoadOrCreateSecret(dir, "short"); err == nil {
		t.Error("a 5-byte PAIDAN_JWT_SECRET was accepted")
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.LoadOrCreateSecret(dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable secret file: got %v; want a refusal saying chmod 600", err)
	}
}

// Processes starting together must agree on one secret.
func TestLoadOrCreateSecretConcurrentFirstUse(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := auth.LoadOrCreateSecret(dir, "")
			if err != nil {
				t.Error(err)
			}
			got[i] = string(s)
		})
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		if got[i] != got[0] {
			t.Fatalf("caller %d got secret %q, caller 0 got %q", i, got[i], got[0])
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d files, want only %s", len(entries), auth.SecretFileName)
	}
}

// With an issuer and an audience configured (PAIDAN_JWT_ISSUER,
// PAIDAN_JWT_AUDIENCE), the provider's tokens for another issuer or another
// application are refused although their signature is good.
func TestJWKSVerifyIssuerAndAudience(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := jwksServer(t, &key.PublicKey, "k1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := auth.NewJWKS(ctx, auth.JWKSConfig{URL: srv.URL, Now: clock, Client: srv.Client(),
		Issuer: "https://idp.example/", Audience: "paidan"})
	if err != nil {
		t.Fatal(err)
	}
	ours := with(with(validClaims(), "iss", "https://idp.example/"), "aud", []string{"mail", "paidan"})
	tests := []struct {
		name   string
		claims jwt.MapClaims
		ok     bool
	}{
		{"our issuer, our audience among others", ours, true},
		{"another issuer", with(ours, "iss", "https://other.example/"), false},
		{"no issuer", with(ours, "iss", nil), false},
		{"another application", with(ours, "aud", "mail"), false},
		{"no audience", with(ours, "aud", nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, key, tt.claims, "k1"))
			if tt.ok {
				if err != nil || got.Subject != "u1" {
					t.Fatalf("got %+v, %v; want u1 accepted", got, err)
				}
				return
			}
			if !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatalf("got %+v, %v; want an error wrapping ErrUnauthenticated", got, err)
			}
		})
	}
}
