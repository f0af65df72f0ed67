package api

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// dashboardFiles is the coordinator dashboard: plain HTML, CSS and JS with
// no build step. It signs in with a token pasted into the page and reads
// the same /api/v1 endpoints as any client, the live queue through a
// stream ticket.
//
//go:embed dashboard
var dashboardFiles embed.FS

// DashboardPath is where the coordinator dashboard is served.
const DashboardPath = "/dashboard/"

func (r *ReadRoutes) mountDashboard(e *echo.Echo) {
	sub, err := fs.Sub(dashboardFiles, "dashboard")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	files := http.StripPrefix(DashboardPath, http.FileServer(http.FS(sub)))
	serve := echo.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// The page holds no data; the token stays in the browser. Framing is
		// refused so the page cannot be overlaid by another site.
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, req)
	}))
	toDashboard := func(c echo.Context) error { return c.Redirect(http.StatusFound, DashboardPath) }
	e.GET("/", toDashboard)
	e.GET("/dashboard", toDashboard)
	e.GET(DashboardPath+"*", serve)
}
