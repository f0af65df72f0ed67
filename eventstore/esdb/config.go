package esdb

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Config holds the adapter's settings beyond the connection string.
type Config struct {
	// Logger receives the client library's log lines at debug level (warnings
	// and errors at their own levels); optional, nil discards them. The client
	// logs every dropped subscription and reconnection as an error, which is
	// routine for a store that rides out outages.
	Logger *slog.Logger
	// ReadPage is how many events ReadAll asks the server for at a time while
	// it skips system events; optional, default 512.
	ReadPage int
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.ReadPage < 0 {
		errs = append(errs, fmt.Errorf("esdb: Config.ReadPage must not be negative, got %d", c.ReadPage))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.ReadPage == 0 {
		c.ReadPage = 512
	}
}

// validateURL checks the scheme before the client parses the rest, so the
// error names what is expected.
func validateURL(url string) error {
	if !strings.HasPrefix(url, "esdb://") && !strings.HasPrefix(url, "esdb+discover://") {
		return fmt.Errorf("esdb: expected a connection string esdb://host:2113?tls=false or esdb+discover://host:2113, found %q", redact(url))
	}
	return nil
}

// redact hides a password in a connection string for messages.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	user, _, _ := strings.Cut(userinfo, ":")
	return scheme + "://" + user + ":***@" + host
}
