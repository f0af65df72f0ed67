package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/paidan/paidan/domain"
)

// asymmetricAlgs are the only algorithms a JWKS verifier accepts. Symmetric
// ones are excluded so a public key published in the JWKS can never be used
// as an HMAC secret; a key that declares its "alg" further narrows this to
// that one algorithm (keyfunc checks it).
var asymmetricAlgs = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// JWKSConfig configures verification against an identity provider's JWKS.
type JWKSConfig struct {
	// URL of the JWK Set; required, http or https.
	URL string
	// Issuer, when set, must equal the token's "iss".
	Issuer string
	// Audience, when set, must be among the token's "aud".
	Audience string
	// Client fetches the JWK Set; optional, default a client with a 10s timeout.
	Client *http.Client
	// RefreshInterval re-fetches the JWK Set; optional, default 1h. Unknown
	// key ids also trigger a (rate-limited) refresh.
	RefreshInterval time.Duration
	// Leeway tolerates clock skew on exp and iat; optional, default 30s.
	Leeway time.Duration
	// Now is the clock; optional, default time.Now.
	Now func() time.Time
}

// Validate checks the configuration.
func (c JWKSConfig) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("JWKS URL: required"))
	}
	if c.Leeway < 0 {
		errs = append(errs, fmt.Errorf("leeway: expected zero or more, found %s", c.Leeway))
	}
	if c.RefreshInterval < 0 {
		errs = append(errs, fmt.Errorf("refresh interval: expected zero or more, found %s", c.RefreshInterval))
	}
	return errors.Join(errs...)
}

// JWKS verifies tokens signed by an identity provider with keys from its JWK
// Set. It accepts only asymmetric algorithms.
type JWKS struct {
	keys   keyfunc.Keyfunc
	parser *jwt.Parser
}

var _ Verifier = (*JWKS)(nil)

// NewJWKS starts fetching the JWK Set; the refresh goroutine ends with ctx.
// An unreachable provider at start is not an error: tokens are refused until
// the keys can be fetched.
func NewJWKS(ctx context.Context, cfg JWKSConfig) (*JWKS, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.URL}, keyfunc.Override{
		Client:          client,
		RefreshInterval: cfg.RefreshInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("JWKS %s: %w", cfg.URL, err)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(asymmetricAlgs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return &JWKS{keys: kf, parser: jwt.NewParser(opts...)}, nil
}

// Verify checks token against the provider's keys.
func (j *JWKS) Verify(ctx context.Context, token string) (domain.Actor, error) {
	var c claims
	_, err := j.parser.ParseWithClaims(token, &c, j.keys.KeyfuncCtx(ctx))
	if err != nil {
		return domain.Actor{}, refuse(err)
	}
	return c.actor()
}
