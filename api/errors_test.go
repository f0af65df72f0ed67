package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

func TestClassify(t *testing.T) {
	var syntaxErr *json.SyntaxError
	if err := json.Unmarshal([]byte("{"), &struct{}{}); !errors.As(err, &syntaxErr) {
		t.Fatalf("could not make a json.SyntaxError: %v", err)
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`{"n":"x"}`), &struct{ N int }{}); !errors.As(err, &typeErr) {
		t.Fatalf("could not make a json.UnmarshalTypeError: %v", err)
	}
	wrongRev := &eventstore.WrongExpectedRevisionError{Stream: "order-1",
		Expected: eventstore.Exact(3), Actual: eventstore.Exact(4)}

	tests := []struct {
		name      string
		err       error
		status    int
		code      string
		field     string
		msgHas    string // "" skips
		msgHasNot string // "" skips
	}{
		{"malformed", fmt.Errorf("%w: bad", api.ErrMalformedRequest), 400, "malformed_request", "", "bad", ""},
		// Bodies go through Bind; a bare JSON error is the server's own data.
		{"bare json syntax error", syntaxErr, 500, "internal", "", "", ""},
		{"bare json type error", typeErr, 500, "internal", "", "", ""},
		{"no token", fmt.Errorf("%w: none", auth.ErrUnauthenticated), 401, "unauthenticated", "", "none", ""},
		{"forbidden", fmt.Errorf("%w: not your order", domain.ErrForbidden), 403, "forbidden", "", "not your order", ""},
		{"domain not found", fmt.Errorf("%w: order x", domain.ErrNotFound), 404, "not_found", "", "order x", ""},
		{"stream not found", fmt.Errorf("read order-1: %w", eventstore.ErrStreamNotFound), 404, "not_found", "", "", "order-1"},
		{"domain conflict", fmt.Errorf("%w: already rated", domain.ErrConflict), 409, "conflict", "", "already rated", ""},
		{"wrong expected revision", fmt.Errorf("append: %w", wrongRev), 409, "conflict", "", "retry", ""},
		{"command layer's precondition", fmt.Errorf("accept: %w", app.ErrPreconditionFailed), 412, "precondition_failed", "", "", ""},
		{"precondition beats conflict", fmt.Errorf("%w: %w", api.ErrPreconditionFailed, wrongRev), 412, "precondition_failed", "", "", ""},
		{"payload too large", fmt.Errorf("%w: big", api.ErrPayloadTooLarge), 413, "payload_too_large", "", "1048576", ""},
		{"max bytes error", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1 << 20}), 413, "payload_too_large", "", "", ""},
		{"event too large", fmt.Errorf("append: %w", eventstore.ErrEventTooLarge), 413, "payload_too_large", "", "", ""},
		{"validation error with field", fmt.Errorf("place: %w", &domain.ValidationError{Field: "stars", Reason: "expected 1 to 5, found 9"}),
			422, "invalid_field", "stars", "expected 1 to 5, found 9", ""},
		{"invalid class without field", fmt.Errorf("%w: odd", domain.ErrInvalid), 422, "invalid_field", "", "odd", ""},
		{"rate limited", fmt.Errorf("%w: slow down", api.ErrRateLimited), 429, "rate_limited", "", "slow down", ""},
		{"store unavailable", fmt.Errorf("append: %w", eventstore.ErrUnavailable), 503, "store_unavailable", "", "retry", "append"},
		{"not leader", fmt.Errorf("append: %w", eventstore.ErrNotLeader), 503, "store_unavailable", "", "retry", ""},
		{"store closed", eventstore.ErrClosed, 503, "unavailable", "", "retry", ""},
		{"deadline", fmt.Errorf("load: %w", context.DeadlineExceeded), 503, "unavailable", "", "retry", ""},
		{"echo 404", echo.ErrNotFound, 404, "not_found", "", "no endpoint", ""},
		{"echo 405", echo.ErrMethodNotAllowed, 405, "method_not_allowed", "", "", ""},
		{"echo 413", echo.ErrStatusRequestEntityTooLarge, 413, "payload_too_large", "", "", ""},
		{"echo 500", echo.ErrInternalServerError, 500, "internal", "", "", ""},
		{"anything else", errors.New("pq: password authentication failed for user paidan"), 500, "internal", "", "X-Request-ID", "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := api.Classify(tt.err)
			if p.Status != tt.status || p.Code != tt.code || p.Field != tt.field {
				t.Errorf("Classify(%v) = %d %s field %q; want %d %s field %q",
					tt.err, p.Status, p.Code, p.Field, tt.status, tt.code, tt.field)
			}
			if p.Message == "" {
				t.Error("empty message")
			}
			if tt.msgHas != "" && !strings.Contains(p.Message, tt.msgHas) {
				t.Errorf("message %q lacks %q", p.Message, tt.msgHas)
			}
			if tt.msgHasNot != "" && strings.Contains(p.Message, tt.msgHasNot) {
				t.Errorf("message %q reveals %q", p.Message, tt.msgHasNot)
			}
			// Context added further up must not change the class.
			if again := api.Classify(fmt.Errorf("handler: %w", tt.err)); again.Status != p.Status || again.Code != p.Code {
				t.Errorf("wrapped once more: %d %s; want %d %s", again.Status, again.Code, p.Status, p.Code)
			}
		})
	}
}
