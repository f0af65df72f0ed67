package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidationError says which input field is wrong and why. It unwraps to
// ErrInvalid, so callers test the class with errors.Is and read the field with
// errors.As.
type ValidationError struct {
	// Field is the JSON name of the offending field, as in the HTTP contract.
	Field string
	// Reason says what was expected and what was found.
	Reason string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

// Unwrap places every validation error in the ErrInvalid class.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Length limits of free text, in runes (characters), as the HTTP contract states.
const (
	MaxTitleRunes     = 100
	MaxDetailsRunes   = 2000
	MaxContactRunes   = 100
	MaxNotesRunes     = 2000
	MaxCommentRunes   = 1000
	MaxReasonRunes    = 500
	MaxTeamNameRunes  = 100
	MaxIDLength       = 64
	MinTeamCapacity   = 1
	MaxTeamCapacity   = 100
	MaxVolunteerHours = 24
)

// checkText refuses text that is not UTF-8, is longer than limit runes, or is
// blank when required.
func checkText(field, s string, limit int, required bool) error {
	if !utf8.ValidString(s) {
		return &ValidationError{Field: field, Reason: "expected UTF-8 text, found invalid bytes"}
	}
	if required && strings.TrimSpace(s) == "" {
		return &ValidationError{Field: field, Reason: "expected non-empty text, found none"}
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return &ValidationError{Field: field,
			Reason: fmt.Sprintf("expected at most %d characters, found %d", limit, n)}
	}
	return nil
}

// ValidID reports whether s can name a team, institute or station: 1 to 64
// bytes of ASCII letters, digits, '-' and '_'. IDs appear in stream names and
// URLs, so they stay plain.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

func checkID(field, s string) error {
	if !ValidID(s) {
		return &ValidationError{Field: field,
			Reason: fmt.Sprintf("expected 1 to %d letters, digits, '-' or '_', found %q", MaxIDLength, s)}
	}
	return nil
}
