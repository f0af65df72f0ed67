package api

import (
	"context"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request's id in and out; the command layer
// uses it as the correlation id of the events a request appends.
const HeaderRequestID = "X-Request-ID"

const maxRequestIDLength = 128

type requestIDKey struct{}

// requestIDMiddleware takes the client's X-Request-ID when it is a plain
// token (so a hostile one cannot forge log lines) or makes a new one, and
// echoes it back.
func requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(HeaderRequestID)
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		c.Response().Header().Set(HeaderRequestID, id)
		c.Set(requestIDContextKey, id)
		req := c.Request()
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), requestIDKey{}, id)))
		return next(c)
	}
}

const requestIDContextKey = "paidan.request_id"

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9',
			b == '-', b == '_', b == '.', b == ':':
		default:
			return false
		}
	}
	return true
}

// RequestID returns the request's id (from X-Request-ID or generated).
func RequestID(c echo.Context) string {
	id, _ := c.Get(requestIDContextKey).(string)
	return id
}

// RequestIDFrom returns the id of the request ctx belongs to, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
