package api

import (
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

// rateLimiter gives each signed-in subject a token bucket. Buckets idle for
// longer than idleTTL are dropped so the map stays bounded by active users.
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const idleTTL = 10 * time.Minute

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleTTL {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleTTL {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// middleware limits per subject; it runs after authenticate, so every request
// it sees has an actor (the client address is the fallback key).
func (l *rateLimiter) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := "ip:" + c.RealIP()
		if a, err := Actor(c); err == nil {
			key = "sub:" + a.Subject
		}
		if !l.allow(key, time.Now()) {
			return fmt.Errorf("%w: more than %g requests a second (bursts of %d); slow down and retry",
				ErrRateLimited, float64(l.limit), l.burst)
		}
		return next(c)
	}
}
