package api

import (
	"errors"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api/auth"
)

// observe is the outermost middleware after the request id: it turns a
// handler's error into the error envelope (so the status is final), then
// records the request's metrics and logs one line for it.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		done := s.metrics.Start()
		began := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(err, c)
		}
		req := c.Request()
		route := c.Path()
		if route == "" || errors.Is(err, echo.ErrNotFound) {
			// No route matched: raw paths of probes and typos must never
			// become metric labels.
			route = "unmatched"
		}
		status := c.Response().Status
		done(req.Method, route, status)

		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case route == "/healthz" || route == "/readyz" || route == "/metrics":
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{
			slog.String("request_id", RequestID(c)),
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", req.URL.Path),
			slog.Int("status", status),
			slog.Int64("bytes", c.Response().Size),
			slog.Duration("duration", time.Since(began)),
			slog.String("remote", c.RealIP()),
		}
		if a, ok := auth.ActorFrom(req.Context()); ok {
			attrs = append(attrs, slog.String("subject", a.Subject), slog.String("role", string(a.Role)))
		}
		if err != nil {
			if status >= 500 {
				attrs = append(attrs, slog.String("error", err.Error()))
			} else {
				attrs = append(attrs, slog.String("code", Classify(err).Code))
			}
		}
		s.log.LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}
