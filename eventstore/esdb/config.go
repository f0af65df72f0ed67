package esdb

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// DefaultMaxAppendSize is EventStoreDB's default MaxAppendSize, 1 MiB.
const DefaultMaxAppendSize = 1 << 20

// Config holds the adapter's settings beyond the connection string.
type Config struct {
	// Logger receives the client library's log lines at debug level (warnings
	// and errors at their own levels); optional, nil discards them. The client
	// logs every dropped subscription and reconnection as an error, which is
	// routine for a store that rides out outages.
	Logger *slog.Logger
	// MaxAppendSize is the server's MaxAppendSize setting: the bound on one
	// append request, counted as EventStoreDB does, Σ(len(data) +
	// len(metadata) + 2·len(type)). Appends above it are refused with
	// eventstore.ErrEventTooLarge before anything is sent, because the server
	// may refuse them by ending the request early, which the client can only
	// report as a broken connection. Optional, default 1 MiB, the server's
	// default; set it to the server's value (docs/eventstoredb.md recommends
	// 8 MiB).
	MaxAppendSize int
	// ReadPage is how many events ReadAll asks the server for at a time while
	// it skips system events; optional, default 512.
	ReadPage int
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxAppendSize < 0 {
		errs = append(errs, fmt.Errorf("esdb: Config.MaxAppendSize must not be negative, got %d", c.MaxAppendSize))
	}
	if c.ReadPage < 0 {
		errs = append(errs, fmt.Errorf("esdb: Config.ReadPage must not be negative, got %d", c.ReadPage))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.MaxAppendSize == 0 {
		c.MaxAppendSize = DefaultMaxAppendSize
	}
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
