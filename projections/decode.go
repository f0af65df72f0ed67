package projections

import (
	"database/sql"
	"errors"
	"time"

	"github.com/paidan/paidan/domain"
)

// DecodeDomain is the Decoder for Paidan's events: it returns the domain
// event value (domain.OrderPlaced, …), nil for event types the domain does
// not know, and an error for a known type whose payload is unreadable.
func DecodeDomain(ev *Event) (any, error) {
	e, err := domain.UnmarshalEvent(ev.Type, ev.Data)
	if errors.Is(err, domain.ErrUnknownEventType) {
		return nil, nil
	}
	return e, err
}

// ms is a time as the read models store it: Unix milliseconds, 0 for none.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// null stores 0 as SQL NULL: "not happened yet" for times, "none" for counts
// that have no value yet (stars before rating).
func null(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// nullStr stores "" as SQL NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nint reads a nullable integer column into 0 for NULL.
type nint struct{ v *int64 }

func (n nint) Scan(src any) error {
	var x sql.NullInt64
	if err := x.Scan(src); err != nil {
		return err
	}
	*n.v = x.Int64
	return nil
}

// nstr reads a nullable text column into "" for NULL.
type nstr struct{ v *string }

func (n nstr) Scan(src any) error {
	var x sql.NullString
	if err := x.Scan(src); err != nil {
		return err
	}
	*n.v = x.String
	return nil
}

// dayZone is the district's civil time (Beijing, UTC+8, no daylight
// saving): satisfaction by day counts days as residents and teams see them.
var dayZone = time.FixedZone("UTC+8", 8*3600)

func dayOf(t time.Time) string { return t.In(dayZone).Format("2006-01-02") }

// loadRow runs a single-row query and reports whether a row was found.
func loadRow(row *sql.Row, dest ...any) (bool, error) {
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
