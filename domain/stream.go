package domain

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// Stream name prefixes. Subscriptions filter on them, so they never change.
const (
	OrderStreamPrefix = "order-"
	TeamStreamPrefix  = "team-"
)

// ErrStreamName marks a stream name that is not an order or team stream.
var ErrStreamName = newError(ErrInvalid, "not a Paidan stream name")

// OrderStream is the stream of one order: "order-<uuid>".
func OrderStream(id uuid.UUID) string { return OrderStreamPrefix + id.String() }

// TeamStream is the stream of one team: "team-<id>".
func TeamStream(id string) string { return TeamStreamPrefix + id }

// ParseOrderStream returns the order id of an "order-<uuid>" stream name.
func ParseOrderStream(stream string) (uuid.UUID, error) {
	rest, ok := strings.CutPrefix(stream, OrderStreamPrefix)
	if !ok {
		return uuid.Nil, fmt.Errorf("%w: expected %q followed by a UUID, found %q", ErrStreamName, OrderStreamPrefix, stream)
	}
	id, err := uuid.Parse(rest)
	if err != nil || id.String() != rest {
		return uuid.Nil, fmt.Errorf("%w: expected %q followed by a lowercase hyphenated UUID, found %q",
			ErrStreamName, OrderStreamPrefix, stream)
	}
	return id, nil
}

// ParseTeamStream returns the team id of a "team-<id>" stream name.
func ParseTeamStream(stream string) (string, error) {
	rest, ok := strings.CutPrefix(stream, TeamStreamPrefix)
	if !ok || !ValidID(rest) {
		return "", fmt.Errorf("%w: expected %q followed by a team id, found %q", ErrStreamName, TeamStreamPrefix, stream)
	}
	return rest, nil
}
