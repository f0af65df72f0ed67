package projections

import (
	"errors"
	"testing"

	"github.com/google/uuid"
)

// TestSharedDecoderDecodesOnce: runners asking for the same event share one
// decoding; events sharing a position (one EventStoreDB transaction) do not.
func TestSharedDecoderDecodesOnce(t *testing.T) {
	calls := 0
	d := newSharedDecoder(func(ev *Event) (any, error) {
		calls++
		if ev.Type == "Bad" {
			return nil, errors.New("bad")
		}
		return ev.Type + "@" + ev.ID.String(), nil
	})
	a := &Event{ID: uuid.New(), Position: 7, Type: "A"}
	b := &Event{ID: uuid.New(), Position: 7, Type: "B"}
	for range 5 {
		if v, err := d(a); err != nil || v != "A@"+a.ID.String() {
			t.Fatalf("decode a: %v, %v", v, err)
		}
	}
	if calls != 1 {
		t.Fatalf("decoded a %d times, want once", calls)
	}
	if v, _ := d(b); v != "B@"+b.ID.String() {
		t.Fatalf("b at the same position decoded as %v", v)
	}
	if v, _ := d(a); v != "A@"+a.ID.String() {
		t.Fatalf("a after b decoded as %v", v)
	}
	if _, err := d(&Event{ID: uuid.New(), Position: 8, Type: "Bad"}); err == nil {
		t.Fatal("a failing decode was not reported")
	}
}
