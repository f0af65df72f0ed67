package ops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/paidan/paidan/ops"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	ops.AddServeFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return fs
}

func TestLoadConfigPrecedence(t *testing.T) {
	secret := strings.Repeat("s", 32)
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c ops.Config)
	}{
		{"defaults", nil, nil, func(t *testing.T, c ops.Config) {
			want := ops.DefaultConfig()
			if c != want {
				t.Errorf("got %+v, want the defaults %+v", c, want)
			}
			if c.HTTPAddr != "127.0.0.1:8080" || c.DataDir != "./data" || !c.AutoDispatch ||
				c.OfferTTL != 10*time.Minute || c.MaxOffers != 3 || c.CacheStreams != 20_000 || c.Demo ||
				c.ProjectionLinger != 2*time.Millisecond {
				t.Errorf("defaults differ from DESIGN.md: %+v", c)
			}
		}},
		{"environment over defaults", map[string]string{
			ops.EnvHTTPAddr: "0.0.0.0:9000", ops.EnvDataDir: "/var/lib/paidan",
			ops.EnvESDBURL: "esdb://db:2113?tls=false", ops.EnvViewsDSN: "postgres://u@h:5432/v",
			ops.EnvJWTSecret: secret, ops.EnvJWKSURL: "https://idp.example/jwks.json",
			ops.EnvJWTIssuer: "https://idp.example/", ops.EnvJWTAudience: "paidan",
			ops.EnvDirectory: "/etc/district.json", ops.EnvAutoDispatch: "false",
			ops.EnvOfferTTL: "90s", ops.EnvMaxOffers: "5", ops.EnvCacheStreams: "0", ops.EnvLinger: "0", ops.EnvDemo: "true",
			ops.EnvLogFormat: "json", ops.EnvLogLevel: "debug",
		}, nil, func(t *testing.T, c ops.Config) {
			want := ops.Config{HTTPAddr: "0.0.0.0:9000", DataDir: "/var/lib/paidan",
				ESDBURL: "esdb://db:2113?tls=false", ViewsDSN: "postgres://u@h:5432/v", JWTSecret: secret,
				JWKSURL: "https://idp.example/jwks.json", JWTIssuer: "https://idp.example/", JWTAudience: "paidan", Directory: "/etc/district.json", AutoDispatch: false,
				OfferTTL: 90 * time.Second, MaxOffers: 5, CacheStreams: 0, Demo: true, LogFormat: "json", LogLevel: "debug"}
			if c != want {
				t.Errorf("got %+v\nwant %+v", c, want)
			}
		}},
		{"flags over environment", map[string]string{
			ops.EnvHTTPAddr: "0.0.0.0:9000", ops.EnvDataDir: "/env", ops.EnvDemo: "false",
			ops.EnvViewsDSN: "postgres://env/v", ops.EnvLogFormat: "json",
		}, []string{"--http", "127.0.0.1:0", "--data", "/flag", "--demo", "--views", "postgres://flag/v",
			"--esdb", "esdb+discover://cluster:2113", "--directory", "d.json", "--log-format", "text"},
			func(t *testing.T, c ops.Config) {
				if c.HTTPAddr != "127.0.0.1:0" || c.DataDir != "/flag" || !c.Demo || c.ViewsDSN != "postgres://flag/v" ||
					c.ESDBURL != "esdb+discover://cluster:2113" || c.Directory != "d.json" || c.LogFormat != "text" {
					t.Errorf("flags did not win: %+v", c)
				}
			}},
		{"a flag not given leaves the environment alone", map[string]string{ops.EnvHTTPAddr: "0.0.0.0:9000"},
			[]string{"--data", "/flag"}, func(t *testing.T, c ops.Config) {
				if c.HTTPAddr != "0.0.0.0:9000" {
					t.Errorf("HTTPAddr = %q; the --http default overrode %s", c.HTTPAddr, ops.EnvHTTPAddr)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ops.LoadConfig(env(tt.env), flags(t, tt.args...))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadConfigErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // every one must appear in the error
	}{
		{"unparsable values, all reported", map[string]string{
			ops.EnvAutoDispatch: "maybe", ops.EnvOfferTTL: "ten minutes", ops.EnvMaxOffers: "three",
			ops.EnvCacheStreams: "many",
		}, nil, []string{ops.EnvAutoDispatch, `"maybe"`, ops.EnvOfferTTL, ops.EnvMaxOffers, ops.EnvCacheStreams, `"many"`}},
		{"bad address", map[string]string{ops.EnvHTTPAddr: "8080"}, nil, []string{ops.EnvHTTPAddr, "--http", `"8080"`}},
		{"bad address by flag", nil, []string{"--http", "localhost"}, []string{"--http"}},
		{"empty data dir", nil, []string{"--data", ""}, []string{ops.EnvDataDir, "--data", "required"}},
		{"esdb scheme", map[string]string{ops.EnvESDBURL: "http://db:2113"}, nil, []string{ops.EnvESDBURL, "--esdb", `"http"`}},
		{"views scheme", nil, []string{"--views", "mysql://x"}, []string{ops.EnvViewsDSN, "--views", `"mysql"`}},
		{"short secret", map[string]string{ops.EnvJWTSecret: "short"}, nil, []string{ops.EnvJWTSecret, "at least 32", "found 5"}},
		{"jwks url", map[string]string{ops.EnvJWKSURL: "ftp://idp/keys"}, nil, []string{ops.EnvJWKSURL}},
		{"issuer without jwks", map[string]string{ops.EnvJWTAudience: "paidan"}, nil,
			[]string{ops.EnvJWTIssuer, ops.EnvJWTAudience, "set " + ops.EnvJWKSURL}},
		{"offer ttl", map[string]string{ops.EnvOfferTTL: "-1m"}, nil, []string{ops.EnvOfferTTL, "positive"}},
		{"linger too long", map[string]string{ops.EnvLinger: "1s"}, nil, []string{ops.EnvLinger, "from 0 to"}},
		{"linger not a duration", map[string]string{ops.EnvLinger: "soon"}, nil, []string{ops.EnvLinger, `"soon"`}},
		{"max offers", map[string]string{ops.EnvMaxOffers: "0"}, nil, []string{ops.EnvMaxOffers, "at least 1", "found 0"}},
		{"cache streams", map[string]string{ops.EnvCacheStreams: "-5"}, nil, []string{ops.EnvCacheStreams, "found -5"}},
		{"log format and level together", nil, []string{"--log-format", "xml", "--log-level", "loud"},
			[]string{"--log-format", `"xml"`, "--log-level", `"loud"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ops.LoadConfig(env(tt.env), flags(t, tt.args...))
			if err == nil {
				t.Fatal("LoadConfig succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestConfigLogValueHidesSecrets(t *testing.T) {
	c := ops.DefaultConfig()
	c.JWTSecret = "super-secret-value-that-is-long-enough"
	c.ViewsDSN = "postgres://user:hunter2@db/views"
	got := c.LogValue().String()
	for _, secret := range []string{c.JWTSecret, "hunter2"} {
		if strings.Contains(got, secret) {
			t.Errorf("log value %q reveals %q", got, secret)
		}
	}
}
