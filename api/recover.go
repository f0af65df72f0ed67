package api

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
)

var errPanic = errors.New("handler panicked")

// recoverMiddleware turns a panicking handler into a 500 envelope; the stack
// goes to the log, never into the response.
func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // net/http's way to abort a response; it must reach the server
			}
			s.log.ErrorContext(c.Request().Context(), "panic in handler",
				"request_id", RequestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", errPanic, p)
		}()
		return next(c)
	}
}
