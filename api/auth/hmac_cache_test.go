package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// A token verified once is remembered, but its time claims are checked again
// on every use: it is refused once expired (leeway included) and while it is
// not yet valid, exactly as a fresh verification would.
func TestHMACRemembersTokensButNotPastTheirTime(t *testing.T) {
	var at atomic.Int64
	at.Store(now.UnixNano())
	h, err := auth.NewHMAC(secret, auth.HMACConfig{Leeway: time.Second,
		Now: func() time.Time { return time.Unix(0, at.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Actor{Subject: "u1", Role: domain.RoleResident}
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "u1", "role": "resident",
		"iat": now.Unix(), "nbf": now.Add(time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}, "")
	steps := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"before nbf", now, false},
		{"at nbf minus leeway", now.Add(time.Minute - time.Second), true},
		{"again, remembered", now.Add(30 * time.Minute), true},
		{"back before nbf", now.Add(time.Minute - 2*time.Second), false},
		{"remembered again", now.Add(59 * time.Minute), true},
		{"within the leeway after exp", now.Add(time.Hour + 500*time.Millisecond), true},
		{"past exp and leeway", now.Add(time.Hour + time.Second), false},
		{"still past", now.Add(2 * time.Hour), false},
	}
	for _, s := range steps {
		at.Store(s.at.UnixNano())
		got, err := h.Verify(context.Background(), tok)
		if s.ok && (err != nil || got != want) {
			t.Fatalf("%s: got %+v, %v; want %+v", s.name, got, err, want)
		}
		if !s.ok && !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("%s: got %+v, %v; want an error wrapping ErrUnauthenticated", s.name, got, err)
		}
	}
}

// Remembering good tokens must not let a forged one through: the same claims
// with another signature are verified, and refused, on their own.
func TestHMACRememberedTokenDoesNotVouchForAForgery(t *testing.T) {
	h := newHMAC(t)
	good := sign(t, jwt.SigningMethodHS256, secret, validClaims(), "")
	if _, err := h.Verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	forged := sign(t, jwt.SigningMethodHS256, []byte("another secret of thirty-two bytes"), validClaims(), "")
	if got, err := h.Verify(context.Background(), forged); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("forged token: got %+v, %v; want refused", got, err)
	}
	for i := 0; i < 5000; i++ { // more distinct tokens than the cache holds
		c := with(validClaims(), "sub", "u"+string(rune('a'+i%26))+time.Duration(i).String())
		if _, err := h.Verify(context.Background(), sign(t, jwt.SigningMethodHS256, secret, c, "")); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := h.Verify(context.Background(), good); err != nil || got.Subject != "u1" {
		t.Fatalf("good token after the cache filled: got %+v, %v", got, err)
	}
}
