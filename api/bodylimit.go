package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// bodyLimit refuses bodies over limit: at once when Content-Length says so,
// otherwise while the handler reads (a chunked body has no length). The read
// error is an *http.MaxBytesError, which Classify maps to 413.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return fmt.Errorf("%w: Content-Length is %d bytes, at most %d are allowed",
					ErrPayloadTooLarge, req.ContentLength, limit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			}
			return next(c)
		}
	}
}
