package domain_test

import (
	"testing"
	"time"
)

// mustZone is a non-UTC zone, to show that commands record UTC whatever
// clock they are handed.
func mustZone(t *testing.T) *time.Location {
	t.Helper()
	return time.FixedZone("CST", 8*3600)
}
