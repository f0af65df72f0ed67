package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/ops"
)

// healthz answers 200 while the process runs: liveness only, it checks nothing.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyzBody is /readyz's answer: {"ready": bool, "checks": [{name, ok, error}]}.
type readyzBody = ops.ReadinessReport

// readyz answers 200 when every readiness check passes and 503 otherwise
// (also once shutdown has begun, so load balancers stop sending traffic),
// listing each check either way.
func (s *Server) readyz(c echo.Context) error {
	report := s.readiness.Run(c.Request().Context())
	select {
	case <-s.shuttingDown:
		report.Ready = false
		report.Checks = append(report.Checks, ops.CheckResult{Name: "shutdown", Error: "the server is shutting down"})
	default:
	}
	status := http.StatusOK
	if !report.Ready {
		status = http.StatusServiceUnavailable
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, readyzBody(report))
}
