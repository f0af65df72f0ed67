package ops

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Environment variables of `paidan serve` (DESIGN.md, Running). Each setting
// is read from its variable first; a flag given on the command line wins.
const (
	EnvHTTPAddr     = "PAIDAN_HTTP_ADDR"
	EnvDataDir      = "PAIDAN_DATA_DIR"
	EnvESDBURL      = "PAIDAN_ESDB_URL"
	EnvViewsDSN     = "PAIDAN_VIEWS_DSN"
	EnvJWTSecret    = "PAIDAN_JWT_SECRET"
	EnvJWKSURL      = "PAIDAN_JWKS_URL"
	EnvJWTIssuer    = "PAIDAN_JWT_ISSUER"
	EnvJWTAudience  = "PAIDAN_JWT_AUDIENCE"
	EnvDirectory    = "PAIDAN_DIRECTORY"
	EnvAutoDispatch = "PAIDAN_AUTO_DISPATCH"
	EnvOfferTTL     = "PAIDAN_OFFER_TTL"
	EnvMaxOffers    = "PAIDAN_MAX_OFFERS"
	EnvCacheStreams = "PAIDAN_CACHE_STREAMS"
	EnvLinger       = "PAIDAN_PROJECTION_LINGER"
	EnvDemo         = "PAIDAN_DEMO"
	EnvLogFormat    = "PAIDAN_LOG_FORMAT"
	EnvLogLevel     = "PAIDAN_LOG_LEVEL"
)

// Flags of `paidan serve`. Settings without a flag are set by environment only.
const (
	FlagHTTPAddr  = "http"
	FlagDataDir   = "data"
	FlagESDBURL   = "esdb"
	FlagViewsDSN  = "views"
	FlagDirectory = "directory"
	FlagDemo      = "demo"
	FlagLogFormat = "log-format"
	FlagLogLevel  = "log-level"
)

// MinJWTSecretLength is the shortest HS256 secret accepted: RFC 7518 §3.2
// asks for a key at least as long as the hash output (256 bits).
const MinJWTSecretLength = 32

// Config holds every setting of `paidan serve`. Build it with LoadConfig, or
// start from DefaultConfig in tests.
type Config struct {
	// HTTPAddr is the listen address, host:port; required.
	HTTPAddr string
	// DataDir holds the embedded event store, SQLite read models and the
	// local signing secret; required.
	DataDir string
	// ESDBURL selects EventStoreDB instead of the embedded store; optional,
	// esdb:// or esdb+discover://.
	ESDBURL string
	// ViewsDSN selects PostgreSQL read models; optional, postgres:// or
	// postgresql://. Empty keeps read models in SQLite in DataDir.
	ViewsDSN string
	// JWTSecret is the HS256 secret; optional, at least MinJWTSecretLength
	// bytes. Empty means a secret generated once into DataDir.
	JWTSecret string
	// JWKSURL, when set, makes the server verify tokens against an identity
	// provider's JWKS (http or https) instead of the local secret.
	JWKSURL string
	// JWTIssuer and JWTAudience, with JWKSURL, are what the provider's
	// tokens must carry in "iss" and among "aud"; each is optional. Without
	// them any token the provider signed is accepted, including tokens it
	// issued to other applications.
	JWTIssuer, JWTAudience string
	// Directory is a JSON file of institutes and stations; optional, empty
	// means the built-in demo district.
	Directory string
	// AutoDispatch lets the dispatcher offer placed orders automatically.
	AutoDispatch bool
	// OfferTTL is how long a team has to accept an offer; positive.
	OfferTTL time.Duration
	// MaxOffers is how many declined or expired offers lead to escalation; ≥ 1.
	MaxOffers int
	// CacheStreams is how many streams the write side keeps in memory
	// between commands (app.Config.CacheStreams); ≥ 0, and 0 turns the
	// cache off.
	CacheStreams int
	// ProjectionLinger is how long a live projection batch waits for more
	// events before it commits (projections.PipelineConfig.LiveLinger);
	// 0 to MaxProjectionLinger, 0 commits every event at once.
	ProjectionLinger time.Duration
	// Demo registers the demo district's teams and keeps a light load running.
	Demo bool
	// LogFormat is "json" or "text".
	LogFormat string
	// LogLevel is "debug", "info", "warn" or "error".
	LogLevel string
}

// DefaultProjectionLinger trades 2 ms of a read model's freshness for a
// fraction of the commits on a busy log (one per projection per 2 ms instead
// of one per event); MaxProjectionLinger bounds it below the pipeline's batch
// interval.
const (
	DefaultProjectionLinger = 2 * time.Millisecond
	MaxProjectionLinger     = 100 * time.Millisecond
)

// DefaultConfig returns the defaults of DESIGN.md's Running table.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:         "127.0.0.1:8080",
		DataDir:          "./data",
		AutoDispatch:     true,
		OfferTTL:         10 * time.Minute,
		MaxOffers:        3,
		CacheStreams:     20_000,
		ProjectionLinger: DefaultProjectionLinger,
		LogFormat:        "text",
		LogLevel:         "info",
	}
}

// AddServeFlags declares the flags of `paidan serve` on fs. Their defaults
// are shown in help only: LoadConfig applies a flag only when it was given,
// so an environment variable is not overridden by a flag's default.
func AddServeFlags(fs *pflag.FlagSet) {
	d := DefaultConfig()
	fs.String(FlagHTTPAddr, d.HTTPAddr, "listen address (env "+EnvHTTPAddr+")")
	fs.String(FlagDataDir, d.DataDir, "data directory: embedded store, read models, signing secret (env "+EnvDataDir+")")
	fs.String(FlagESDBURL, "", "EventStoreDB connection string, esdb://host:2113?tls=false; empty uses the embedded store (env "+EnvESDBURL+")")
	fs.String(FlagViewsDSN, "", "postgres://… for PostgreSQL read models; empty uses SQLite in the data directory (env "+EnvViewsDSN+")")
	fs.String(FlagDirectory, "", "JSON file of institutes and stations; empty uses the built-in demo district (env "+EnvDirectory+")")
	fs.Bool(FlagDemo, false, "register the demo district's teams and keep a light simulated load running (env "+EnvDemo+")")
	fs.String(FlagLogFormat, d.LogFormat, "log format: json or text (env "+EnvLogFormat+")")
	fs.String(FlagLogLevel, d.LogLevel, "log level: debug, info, warn or error (env "+EnvLogLevel+")")
}

// LoadConfig builds the configuration from the defaults, then the
// environment (through lookup, normally os.LookupEnv), then the flags of fs
// that were given (fs may be nil). It returns every problem at once, each
// naming the variable or flag to fix; the result is validated.
func LoadConfig(lookup func(string) (string, bool), fs *pflag.FlagSet) (Config, error) {
	c := DefaultConfig()
	var errs []error
	str := func(env string, dst *string) {
		if v, ok := lookup(env); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	str(EnvHTTPAddr, &c.HTTPAddr)
	str(EnvDataDir, &c.DataDir)
	str(EnvESDBURL, &c.ESDBURL)
	str(EnvViewsDSN, &c.ViewsDSN)
	if v, ok := lookup(EnvJWTSecret); ok {
		c.JWTSecret = v // secrets are taken byte for byte
	}
	str(EnvJWKSURL, &c.JWKSURL)
	str(EnvJWTIssuer, &c.JWTIssuer)
	str(EnvJWTAudience, &c.JWTAudience)
	str(EnvDirectory, &c.Directory)
	str(EnvLogFormat, &c.LogFormat)
	str(EnvLogLevel, &c.LogLevel)
	if v, ok := lookup(EnvAutoDispatch); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expected true or false, found %q", EnvAutoDispatch, v))
		}
		c.AutoDispatch = b
	}
	if v, ok := lookup(EnvDemo); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expected true or false, found %q", EnvDemo, v))
		}
		c.Demo = b
	}
	if v, ok := lookup(EnvOfferTTL); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expected a duration such as 10m or 90s, found %q", EnvOfferTTL, v))
		}
		c.OfferTTL = d
	}
	if v, ok := lookup(EnvMaxOffers); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expected a whole number, found %q", EnvMaxOffers, v))
		}
		c.MaxOffers = n
	}
	if v, ok := lookup(EnvLinger); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expected a duration such as 2ms (0 commits at once), found %q", EnvLinger, v))
		}
		c.ProjectionLinger = d
	}
	if v, ok := lookup(EnvCacheStreams); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: expected a whole number (0 turns the cache off), found %q", EnvCacheStreams, v))
		}
		c.CacheStreams = n
	}

	if fs != nil {
		flagStr := func(name string, dst *string) {
			if f := fs.Lookup(name); f != nil && f.Changed {
				*dst = strings.TrimSpace(f.Value.String())
			}
		}
		flagStr(FlagHTTPAddr, &c.HTTPAddr)
		flagStr(FlagDataDir, &c.DataDir)
		flagStr(FlagESDBURL, &c.ESDBURL)
		flagStr(FlagViewsDSN, &c.ViewsDSN)
		flagStr(FlagDirectory, &c.Directory)
		flagStr(FlagLogFormat, &c.LogFormat)
		flagStr(FlagLogLevel, &c.LogLevel)
		if f := fs.Lookup(FlagDemo); f != nil && f.Changed {
			b, err := strconv.ParseBool(f.Value.String())
			if err != nil {
				errs = append(errs, fmt.Errorf("--%s: expected true or false, found %q", FlagDemo, f.Value.String()))
			}
			c.Demo = b
		}
	}
	if len(errs) > 0 {
		// A value that did not parse would make Validate's messages misleading.
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

// Validate reports every invalid setting at once; each message names the
// variable (and flag) to fix, what was expected and what was found.
func (c Config) Validate() error {
	var errs []error
	bad := func(env, flag, format string, args ...any) {
		name := env
		if flag != "" {
			name += " / --" + flag
		}
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	if c.HTTPAddr == "" {
		bad(EnvHTTPAddr, FlagHTTPAddr, "required; expected host:port such as 127.0.0.1:8080")
	} else if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		bad(EnvHTTPAddr, FlagHTTPAddr, "expected host:port such as 127.0.0.1:8080, found %q", c.HTTPAddr)
	}
	if c.DataDir == "" {
		bad(EnvDataDir, FlagDataDir, "required; expected a directory path such as ./data")
	}
	if c.ESDBURL != "" {
		u, err := url.Parse(c.ESDBURL)
		switch {
		case err != nil:
			bad(EnvESDBURL, FlagESDBURL, "not a connection string: %v", err)
		case u.Scheme != "esdb" && u.Scheme != "esdb+discover":
			bad(EnvESDBURL, FlagESDBURL, "expected esdb://host:2113?tls=false or esdb+discover://…, found scheme %q", u.Scheme)
		case u.Host == "":
			bad(EnvESDBURL, FlagESDBURL, "expected a host, as in esdb://host:2113, found %q", c.ESDBURL)
		}
	}
	if c.ViewsDSN != "" {
		u, err := url.Parse(c.ViewsDSN)
		switch {
		case err != nil:
			bad(EnvViewsDSN, FlagViewsDSN, "not a connection string: %v", err)
		case u.Scheme != "postgres" && u.Scheme != "postgresql":
			bad(EnvViewsDSN, FlagViewsDSN, "expected postgres://user@host:5432/db, or empty for SQLite, found scheme %q", u.Scheme)
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < MinJWTSecretLength {
		bad(EnvJWTSecret, "", "expected at least %d bytes, found %d; or leave it unset to use a generated secret",
			MinJWTSecretLength, len(c.JWTSecret))
	}
	if c.JWKSURL != "" {
		u, err := url.Parse(c.JWKSURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(EnvJWKSURL, "", "expected an http(s) URL of a JWK Set, found %q", c.JWKSURL)
		}
	}
	if c.JWKSURL == "" && (c.JWTIssuer != "" || c.JWTAudience != "") {
		// Tokens signed with the local secret carry neither: requiring them
		// would lock everyone out, ignoring them would mislead.
		bad(EnvJWTIssuer, "", "%s and %s apply to an identity provider's tokens: set %s too, or unset them",
			EnvJWTIssuer, EnvJWTAudience, EnvJWKSURL)
	}
	if c.OfferTTL <= 0 {
		bad(EnvOfferTTL, "", "expected a positive duration such as 10m, found %s", c.OfferTTL)
	}
	if c.MaxOffers < 1 {
		bad(EnvMaxOffers, "", "expected at least 1, found %d", c.MaxOffers)
	}
	if c.ProjectionLinger < 0 || c.ProjectionLinger > MaxProjectionLinger {
		bad(EnvLinger, "", "expected a duration from 0 to %s, found %s", MaxProjectionLinger, c.ProjectionLinger)
	}
	if c.CacheStreams < 0 {
		bad(EnvCacheStreams, "", "expected 0 (no cache) or more streams, found %d", c.CacheStreams)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad(EnvLogFormat, FlagLogFormat, "expected json or text, found %q", c.LogFormat)
	}
	if _, err := ParseLevel(c.LogLevel); err != nil {
		bad(EnvLogLevel, FlagLogLevel, "%v", err)
	}
	return errors.Join(errs...)
}

// SQLiteViewsPath is where read models live when ViewsDSN is empty.
func (c Config) SQLiteViewsPath() string { return filepath.Join(c.DataDir, "views.db") }

// LogValue keeps the secret and credentials in connection strings out of logs.
func (c Config) LogValue() slog.Value {
	secret := "generated"
	if c.JWTSecret != "" {
		secret = "set"
	}
	return slog.GroupValue(
		slog.String("http", c.HTTPAddr),
		slog.String("data", c.DataDir),
		slog.String("esdb", redactURL(c.ESDBURL)),
		slog.String("views", redactURL(c.ViewsDSN)),
		slog.String("jwt_secret", secret),
		slog.String("jwks_url", c.JWKSURL),
		slog.String("jwt_issuer", c.JWTIssuer),
		slog.String("jwt_audience", c.JWTAudience),
		slog.String("directory", c.Directory),
		slog.Bool("auto_dispatch", c.AutoDispatch),
		slog.Duration("offer_ttl", c.OfferTTL),
		slog.Int("max_offers", c.MaxOffers),
		slog.Int("cache_streams", c.CacheStreams),
		slog.Duration("projection_linger", c.ProjectionLinger),
		slog.Bool("demo", c.Demo),
	)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return s
	}
	return u.Redacted()
}
