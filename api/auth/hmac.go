package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/paidan/paidan/domain"
)

// MinSecretLength is the shortest HS256 secret accepted (RFC 7518 §3.2).
const MinSecretLength = 32

// HMACConfig configures the local HS256 verifier and minter.
type HMACConfig struct {
	// Leeway tolerates clock skew on exp and iat; optional, default 30s.
	Leeway time.Duration
	// Now is the clock; optional, default time.Now (tests set it).
	Now func() time.Time
}

func (c *HMACConfig) setDefaults() {
	if c.Leeway == 0 {
		c.Leeway = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate checks the configuration.
func (c HMACConfig) Validate() error {
	if c.Leeway < 0 {
		return fmt.Errorf("leeway: expected zero or more, found %s", c.Leeway)
	}
	return nil
}

// HMAC verifies and mints HS256 tokens with one local secret. The algorithm
// is pinned: a token naming any other algorithm, "none" included, is refused.
type HMAC struct {
	secret []byte
	cfg    HMACConfig
	parser *jwt.Parser
	cache  *verifiedCache
}

var _ Verifier = (*HMAC)(nil)

// NewHMAC returns a verifier and minter for secret (at least MinSecretLength bytes).
func NewHMAC(secret []byte, cfg HMACConfig) (*HMAC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("HS256 secret: expected at least %d bytes, found %d", MinSecretLength, len(secret))
	}
	return &HMAC{
		secret: append([]byte(nil), secret...),
		cfg:    cfg,
		cache:  newVerifiedCache(),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
		),
	}, nil
}

// Verify checks token's signature, algorithm, expiry and claims.
func (h *HMAC) Verify(_ context.Context, token string) (domain.Actor, error) {
	if a, ok := h.cache.get(token, h.cfg.Now()); ok {
		return a, nil
	}
	var c claims
	_, err := h.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return h.secret, nil })
	if err != nil {
		return domain.Actor{}, refuse(err)
	}
	a, err := c.actor()
	if err == nil {
		h.cache.put(token, &c, h.cfg.Leeway, a)
	}
	return a, err
}

// Mint signs a token for actor, valid for ttl from now.
func (h *HMAC) Mint(actor domain.Actor, ttl time.Duration) (string, error) {
	if err := ValidateActor(actor); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", errors.New("token lifetime: expected a positive duration")
	}
	now := h.cfg.Now().UTC().Truncate(time.Second)
	c := claims{
		Role:   string(actor.Role),
		TeamID: actor.TeamID,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   actor.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(h.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}
