package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// clearEnv keeps the developer's PAIDAN_* settings out of a test.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PAIDAN_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

func execute(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestTokenCommand(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		want   domain.Actor // zero: must fail
		errHas string
	}{
		{"resident", []string{"--role", "resident", "--subject", "r1"}, domain.Actor{Subject: "r1", Role: domain.RoleResident}, ""},
		{"team member", []string{"--role", "team", "--subject", "m1", "--team", "team-7"},
			domain.Actor{Subject: "m1", Role: domain.RoleTeam, TeamID: "team-7"}, ""},
		{"unknown role", []string{"--role", "mayor", "--subject", "x"}, domain.Actor{}, "--role"},
		{"system role", []string{"--role", "system", "--subject", "x"}, domain.Actor{}, "--role"},
		{"team without --team", []string{"--role", "team", "--subject", "x"}, domain.Actor{}, "--team"},
		{"--team on another role", []string{"--role", "coordinator", "--subject", "x", "--team", "t"}, domain.Actor{}, "--team"},
		{"no subject", []string{"--role", "auditor"}, domain.Actor{}, "subject"},
		{"bad ttl", []string{"--role", "auditor", "--subject", "a", "--ttl", "0s"}, domain.Actor{}, "lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := execute(t, context.Background(), append([]string{"token", "--data", dir}, tt.args...)...)
			if tt.want == (domain.Actor{}) {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("got %q, %v; want an error mentioning %q", out, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			secret, err := auth.LoadOrCreateSecret(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			v, err := auth.NewHMAC(secret, auth.HMACConfig{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(context.Background(), strings.TrimSpace(out))
			if err != nil || got != tt.want {
				t.Fatalf("the printed token verifies as %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, auth.SecretFileName)); err != nil {
		t.Errorf("no secret file in the data directory: %v", err)
	}
}

func TestTokenCommandUsesTheEnvironment(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	t.Setenv("PAIDAN_DATA_DIR", dir)
	secret := strings.Repeat("z", 32)
	t.Setenv("PAIDAN_JWT_SECRET", secret)
	out, _, err := execute(t, context.Background(), "token", "--role", "analyst", "--subject", "an1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewHMAC([]byte(secret), auth.HMACConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), strings.TrimSpace(out)); err != nil {
		t.Errorf("token not signed with PAIDAN_JWT_SECRET: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, auth.SecretFileName)); err == nil {
		t.Error("a secret file was generated although PAIDAN_JWT_SECRET is set")
	}
}
