package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// bodyReadTimeout bounds reading a request body, so a client trickling bytes
// cannot hold a handler (and a connection) forever. It is set per request
// with a body rather than as http.Server.ReadTimeout, which would also cut
// off long-lived responses such as Server-Sent Events.
const bodyReadTimeout = 30 * time.Second

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
				// Not every ResponseWriter supports deadlines (httptest's
				// recorder does not); the limit still holds without one.
				_ = http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(bodyReadTimeout))
			}
			return next(c)
		}
	}
}
