package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// Errors the HTTP layer itself raises. Handlers return them (wrapped with %w
// and a message a person can act on) and Classify maps them.
var (
	// ErrMalformedRequest: the body is not one JSON object of the expected
	// shape (syntax, unknown field, wrong type) or a parameter cannot be parsed.
	ErrMalformedRequest = errors.New("malformed request")
	// ErrPayloadTooLarge: the body exceeds the limit (MaxBodyBytes).
	ErrPayloadTooLarge = errors.New("payload too large")
	// ErrPreconditionFailed: an If-Match revision no longer matches. The
	// command layer's app.ErrPreconditionFailed maps the same way; both are
	// checked before the 409 classes so 412 wins when they come together.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrRateLimited: the caller sent more requests than its budget allows.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnauthenticated: no token, or a token that was refused.
	ErrUnauthenticated = auth.ErrUnauthenticated
)

// Error codes of the envelope; clients switch on these, never on messages.
const (
	CodeMalformedRequest   = "malformed_request"
	CodeUnauthenticated    = "unauthenticated"
	CodeForbidden          = "forbidden"
	CodeNotFound           = "not_found"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodeConflict           = "conflict"
	CodePreconditionFailed = "precondition_failed"
	CodePayloadTooLarge    = "payload_too_large"
	CodeUnsupportedMedia   = "unsupported_media_type"
	CodeInvalidField       = "invalid_field"
	CodeIdempotencyReused  = "idempotency_key_reused"
	CodeRateLimited        = "rate_limited"
	CodeStoreUnavailable   = "store_unavailable"
	CodeUnavailable        = "unavailable"
	CodeInternal           = "internal"
)

// Problem is what a client is told about a failed request.
type Problem struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field names the offending JSON field of a 422, when known.
	Field string `json:"field,omitempty"`
}

// errorEnvelope is the body of every error response:
// {"error": {"code": "...", "message": "..."}}.
type errorEnvelope struct {
	Error Problem `json:"error"`
}

const internalMessage = "the server failed to handle this request; it has been logged, please retry later or report the X-Request-ID"

// Classify maps any error to the status, code and message the client gets.
// It is the only place errors become statuses; it looks through wrapping with
// errors.Is and errors.As, so context added on the way up never turns a
// client error into a 500. A bare encoding/json error is deliberately not a
// 400: request bodies are decoded by Bind, which wraps ErrMalformedRequest,
// so a bare one comes from decoding something of the server's own (a stored
// event, a token's claims) and is not the client's fault. Messages of 4xx errors are the errors' own
// (domain messages are written for people); 5xx messages never carry the
// error's text.
func Classify(err error) Problem {
	var (
		maxBytes *http.MaxBytesError
		invalid  *domain.ValidationError
		httpErr  *echo.HTTPError
	)
	switch {
	case err == nil:
		return Problem{Status: http.StatusOK}
	case errors.Is(err, ErrPayloadTooLarge), errors.As(err, &maxBytes), errors.Is(err, eventstore.ErrEventTooLarge):
		return Problem{http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			fmt.Sprintf("the request body is larger than the %d bytes allowed", MaxBodyBytes), ""}
	case errors.Is(err, ErrMalformedRequest):
		return Problem{http.StatusBadRequest, CodeMalformedRequest, err.Error(), ""}
	case errors.Is(err, ErrUnauthenticated):
		return Problem{http.StatusUnauthorized, CodeUnauthenticated, err.Error(), ""}
	case errors.Is(err, domain.ErrForbidden):
		return Problem{http.StatusForbidden, CodeForbidden, err.Error(), ""}
	case errors.Is(err, ErrPreconditionFailed), errors.Is(err, app.ErrPreconditionFailed):
		return Problem{http.StatusPreconditionFailed, CodePreconditionFailed, err.Error(), ""}
	case errors.Is(err, ErrRateLimited):
		return Problem{http.StatusTooManyRequests, CodeRateLimited, err.Error(), ""}
	case errors.Is(err, app.ErrIdempotencyKeyReused):
		return Problem{http.StatusUnprocessableEntity, CodeIdempotencyReused, err.Error(), ""}
	case errors.As(err, &invalid):
		return Problem{http.StatusUnprocessableEntity, CodeInvalidField, err.Error(), invalid.Field}
	case errors.Is(err, domain.ErrInvalid):
		return Problem{http.StatusUnprocessableEntity, CodeInvalidField, err.Error(), ""}
	case errors.Is(err, domain.ErrNotFound):
		return Problem{http.StatusNotFound, CodeNotFound, err.Error(), ""}
	case errors.Is(err, eventstore.ErrStreamNotFound), errors.Is(err, eventstore.ErrStreamDeleted):
		return Problem{http.StatusNotFound, CodeNotFound, "the requested object does not exist", ""}
	case errors.Is(err, domain.ErrConflict):
		return Problem{http.StatusConflict, CodeConflict, err.Error(), ""}
	case errors.Is(err, eventstore.ErrWrongExpectedRevision):
		return Problem{http.StatusConflict, CodeConflict,
			"the object was changed by another request at the same moment; reload it and retry", ""}
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrNotLeader):
		return Problem{http.StatusServiceUnavailable, CodeStoreUnavailable,
			"the event store cannot be reached right now, so the command may or may not have been recorded; retry in a few seconds with the same Idempotency-Key to apply it exactly once", ""}
	case errors.Is(err, eventstore.ErrClosed):
		return Problem{http.StatusServiceUnavailable, CodeUnavailable,
			"the server is shutting down; retry in a few seconds", ""}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{http.StatusServiceUnavailable, CodeUnavailable,
			"the server did not finish in time; retry in a few seconds", ""}
	case errors.As(err, &httpErr):
		return classifyHTTPError(httpErr)
	}
	return Problem{http.StatusInternalServerError, CodeInternal, internalMessage, ""}
}

// classifyHTTPError maps echo's own errors (unknown route, wrong method, its
// middleware's refusals) into the same envelope.
func classifyHTTPError(he *echo.HTTPError) Problem {
	msg, _ := he.Message.(string)
	switch he.Code {
	case http.StatusNotFound:
		return Problem{he.Code, CodeNotFound, "no endpoint matches this method and path; see the API in README.md", ""}
	case http.StatusMethodNotAllowed:
		return Problem{he.Code, CodeMethodNotAllowed, "this path does not accept this method", ""}
	case http.StatusRequestEntityTooLarge:
		return Problem{he.Code, CodePayloadTooLarge,
			fmt.Sprintf("the request body is larger than the %d bytes allowed", MaxBodyBytes), ""}
	case http.StatusUnsupportedMediaType:
		return Problem{he.Code, CodeUnsupportedMedia, "send the body as application/json", ""}
	case http.StatusBadRequest:
		return Problem{he.Code, CodeMalformedRequest, orDefault(msg, "the request could not be parsed"), ""}
	case http.StatusUnauthorized:
		return Problem{he.Code, CodeUnauthenticated, orDefault(msg, "sign in with Authorization: Bearer <token>"), ""}
	case http.StatusForbidden:
		return Problem{he.Code, CodeForbidden, orDefault(msg, "you may not do this"), ""}
	case http.StatusTooManyRequests:
		return Problem{he.Code, CodeRateLimited, orDefault(msg, "too many requests; slow down and retry"), ""}
	}
	if he.Code >= 400 && he.Code < 500 {
		return Problem{he.Code, strings.ReplaceAll(strings.ToLower(http.StatusText(he.Code)), " ", "_"),
			orDefault(msg, http.StatusText(he.Code)), ""}
	}
	if he.Code == http.StatusServiceUnavailable {
		return Problem{he.Code, CodeUnavailable, "the server is unavailable right now; retry in a few seconds", ""}
	}
	return Problem{http.StatusInternalServerError, CodeInternal, internalMessage, ""}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// handleError writes err as the error envelope. It is echo's HTTPErrorHandler
// and is called once per failed request by the observe middleware.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		// The status line is gone; all that is left is to say so in the log.
		s.log.WarnContext(c.Request().Context(), "error after the response was committed",
			"request_id", RequestID(c), "error", err)
		return
	}
	p := Classify(err)
	h := c.Response().Header()
	switch p.Status {
	case http.StatusUnauthorized:
		if errors.Is(err, errNoToken) {
			h.Set("WWW-Authenticate", `Bearer realm="paidan"`)
		} else {
			h.Set("WWW-Authenticate", `Bearer realm="paidan", error="invalid_token"`)
		}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(p.Status)
	} else {
		werr = writeEnvelope(c, p)
	}
	if werr != nil {
		s.log.WarnContext(c.Request().Context(), "write error response", "request_id", RequestID(c), "error", werr)
	}
}

// writeEnvelope writes the envelope without HTML escaping, so a message such
// as "Authorization: Bearer <token>" reads as written in a terminal.
func writeEnvelope(c echo.Context, p Problem) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(errorEnvelope{Error: p}); err != nil {
		return err
	}
	return c.Blob(p.Status, echo.MIMEApplicationJSON, buf.Bytes())
}
