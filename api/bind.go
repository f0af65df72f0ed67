package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// MaxBodyBytes bounds every request body: 1 MiB, the HTTP contract's limit.
const MaxBodyBytes = 1 << 20

// Bind decodes the request body into v strictly: exactly one JSON object, no
// field v does not declare, every value of its field's type, at most
// MaxBodyBytes (counted as read, so a body without Content-Length is bounded
// too). Errors wrap ErrMalformedRequest (400) or ErrPayloadTooLarge (413)
// with a message naming the offending field or byte offset.
func Bind(c echo.Context, v any) error { return bindJSON(c, v, false) }

// BindOptional is Bind for commands whose body may be omitted: an empty body
// leaves v as it is; a non-empty one is held to Bind's rules.
func BindOptional(c echo.Context, v any) error { return bindJSON(c, v, true) }

func bindJSON(c echo.Context, v any, allowEmpty bool) error {
	req := c.Request()
	if req.ContentLength > MaxBodyBytes {
		return fmt.Errorf("%w: Content-Length is %d bytes", ErrPayloadTooLarge, req.ContentLength)
	}
	if req.Body == nil || req.Body == http.NoBody {
		return emptyBody(allowEmpty)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return fmt.Errorf("%w: more than %d bytes", ErrPayloadTooLarge, tooLarge.Limit)
		}
		return fmt.Errorf("%w: reading the body failed: %v", ErrMalformedRequest, err)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return emptyBody(allowEmpty)
	}
	if trimmed[0] != '{' {
		return fmt.Errorf("%w: expected a JSON object, found %s", ErrMalformedRequest, describeStart(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeDecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: expected one JSON object, found more data after it at byte %d",
			ErrMalformedRequest, dec.InputOffset())
	}
	return nil
}

func emptyBody(allowEmpty bool) error {
	if allowEmpty {
		return nil
	}
	return fmt.Errorf("%w: the request body is empty; expected a JSON object (send {} when there is nothing to say)",
		ErrMalformedRequest)
}

func describeStart(b []byte) string {
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		return "a number"
	}
	return fmt.Sprintf("text beginning %q", string(b[:min(len(b), 16)]))
}

// describeDecodeError turns encoding/json's errors into 400s that say which
// field is wrong and what was expected. An error that is not about the input
// (a programming error such as decoding into a non-pointer) stays as it is,
// so it becomes a 500.
func describeDecodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: the body is not valid JSON at byte %d: %s", ErrMalformedRequest, syntax.Offset,
			strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return fmt.Errorf("%w: expected %s, found a JSON %s", ErrMalformedRequest, kindOf(typeErr.Type), typeErr.Value)
		}
		return fmt.Errorf("%w: field %q: expected %s, found a JSON %s", ErrMalformedRequest, field,
			kindOf(typeErr.Type), typeErr.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the body ends before its JSON value is complete", ErrMalformedRequest)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields with an untyped error.
		return fmt.Errorf("%w: unknown field %s; send only the fields the API documents", ErrMalformedRequest,
			strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return err
}

// kindOf names a Go type the way a JSON client thinks of it.
func kindOf(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return kindOf(t.Elem())
	}
	return "a value of type " + t.String()
}
