package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

// harness is one subtest's view of the store under test: its own stream and
// type prefixes, calls bounded by Features.WaitTimeout, and assertions that
// report what was expected and what was found.
type harness struct {
	t       *testing.T
	store   eventstore.Store
	f       Features
	prefix  string // unique stream prefix of this test, e.g. "st7f3a9c21-"
	tprefix string // unique event-type prefix of this test
}

func newHarness(t *testing.T, store eventstore.Store, f Features) *harness {
	t.Helper()
	if store == nil {
		t.Fatal("newStore returned a nil store")
	}
	token := randomToken()
	return &harness{t: t, store: store, f: f, prefix: "st" + token + "-", tprefix: "T" + token + "."}
}

func randomToken() string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("storetest: reading random bytes: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// stream names one of the test's own streams.
func (h *harness) stream(name string) string { return h.prefix + name }

// typ names one of the test's own event types.
func (h *harness) typ(name string) string { return h.tprefix + name }

// own reports whether an event belongs to this test.
func (h *harness) own(ev eventstore.RecordedEvent) bool {
	return strings.HasPrefix(ev.StreamID, h.prefix)
}

// ctx returns a context that ends after WaitTimeout so that a hanging call
// fails the test instead of the whole run.
func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), h.f.WaitTimeout)
	h.t.Cleanup(cancel)
	return ctx
}

// newID returns a random non-zero event ID.
func newID() [16]byte { return uuid.New() }

// event builds an event of the test's type name with a random ID.
func (h *harness) event(typeName, data string) eventstore.EventData {
	return eventstore.EventData{
		ID:       newID(),
		Type:     h.typ(typeName),
		Data:     []byte(data),
		Metadata: []byte(`{"by":"storetest"}`),
	}
}

// events builds n events numbered from 0.
func (h *harness) events(n int, typeName string) []eventstore.EventData {
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		evs[i] = h.event(typeName, fmt.Sprintf(`{"n":%d}`, i))
	}
	return evs
}

func (h *harness) append(stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	return h.store.Append(h.ctx(), stream, exp, evs...)
}

func (h *harness) mustAppend(stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	h.t.Helper()
	res, err := h.append(stream, exp, evs...)
	if err != nil {
		h.t.Fatalf("Append(%q, %s, %d events): unexpected error: %v", stream, exp, len(evs), err)
	}
	return res
}

// readStream reads the whole stream forwards, page by page; nil and
// ErrStreamNotFound for a stream never written.
func (h *harness) readStream(stream string) ([]eventstore.RecordedEvent, error) {
	const page = 100
	var all []eventstore.RecordedEvent
	for from := uint64(0); ; {
		evs, err := h.store.ReadStream(h.ctx(), stream, eventstore.ReadStreamOptions{From: from, Limit: page})
		if err != nil {
			return all, err
		}
		all = append(all, evs...)
		if len(evs) < page {
			return all, nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

func (h *harness) mustReadStream(stream string) []eventstore.RecordedEvent {
	h.t.Helper()
	evs, err := h.readStream(stream)
	if err != nil {
		h.t.Fatalf("ReadStream(%q): unexpected error: %v", stream, err)
	}
	return evs
}

// streamLen is the number of events of a stream, 0 for one never written.
func (h *harness) streamLen(stream string) int {
	h.t.Helper()
	evs, err := h.readStream(stream)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return 0
	}
	if err != nil {
		h.t.Fatalf("ReadStream(%q): unexpected error: %v", stream, err)
	}
	return len(evs)
}

// wantLen fails unless the stream holds exactly n events (0: never written).
func (h *harness) wantLen(stream string, n int) {
	h.t.Helper()
	if got := h.streamLen(stream); got != n {
		h.t.Fatalf("stream %q holds %d events, want %d", stream, got, n)
	}
}

// readAllOwn reads $all forwards from `from` (inclusive) to its end and
// keeps this test's events. Pages continue from the last position seen
// (dropping it) rather than from position+1, which need not be a valid
// position on a store whose positions have gaps.
func (h *harness) readAllOwn(from eventstore.Position) []eventstore.RecordedEvent {
	h.t.Helper()
	const page = 500
	var own []eventstore.RecordedEvent
	first := true
	for {
		evs, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{From: from, Limit: page})
		if err != nil {
			h.t.Fatalf("ReadAll(from %d): unexpected error: %v", from, err)
		}
		n := len(evs)
		if !first && n > 0 && evs[0].Position == from {
			evs = evs[1:]
		}
		for _, ev := range evs {
			if h.own(ev) {
				own = append(own, ev)
			}
		}
		if n < page || len(evs) == 0 {
			return own
		}
		first = false
		from = evs[len(evs)-1].Position
	}
}

// wantWEV fails unless err reports a wrong expected revision on stream with
// the given expectation and actual state, both through errors.Is and
// errors.As.
func (h *harness) wantWEV(err error, stream string, expected, actual eventstore.ExpectedRevision) {
	h.t.Helper()
	if err == nil {
		h.t.Fatalf("Append(%q, %s): succeeded, want a wrong-expected-revision error (actual %s)", stream, expected, actual)
	}
	if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		h.t.Fatalf("Append(%q, %s): error %v does not satisfy errors.Is(err, ErrWrongExpectedRevision)", stream, expected, err)
	}
	var wev *eventstore.WrongExpectedRevisionError
	if !errors.As(err, &wev) {
		h.t.Fatalf("Append(%q, %s): error %v does not unwrap to *WrongExpectedRevisionError", stream, expected, err)
	}
	if wev.Stream != stream {
		h.t.Errorf("WrongExpectedRevisionError.Stream = %q, want %q", wev.Stream, stream)
	}
	if wev.Expected != expected {
		h.t.Errorf("WrongExpectedRevisionError.Expected = %s, want %s", wev.Expected, expected)
	}
	if wev.Actual != actual {
		h.t.Errorf("WrongExpectedRevisionError.Actual = %s, want %s", wev.Actual, actual)
	}
}

// wantErrIs fails unless err wraps target.
func (h *harness) wantErrIs(err, target error, call string) {
	h.t.Helper()
	if err == nil {
		h.t.Fatalf("%s: succeeded, want an error wrapping %q", call, target)
	}
	if !errors.Is(err, target) {
		h.t.Fatalf("%s: error %q does not wrap %q", call, err, target)
	}
}

// wantResult compares an append result with the one expected.
func (h *harness) wantResult(call string, got, want eventstore.AppendResult) {
	h.t.Helper()
	if got.NextRevision != want.NextRevision || got.Position != want.Position {
		h.t.Fatalf("%s = {NextRevision %d, Position %d}, want {NextRevision %d, Position %d}",
			call, got.NextRevision, got.Position, want.NextRevision, want.Position)
	}
}

// resultOf is what an append that ended with ev must have returned.
func resultOf(ev eventstore.RecordedEvent) eventstore.AppendResult {
	return eventstore.AppendResult{NextRevision: ev.Revision + 1, Position: ev.Position}
}

// sameEvent reports the first field in which two recordings of one event
// differ, or "" when they agree. Empty and nil byte slices are equal: a
// store need not preserve the difference.
func sameEvent(a, b eventstore.RecordedEvent) string {
	switch {
	case a.StreamID != b.StreamID:
		return fmt.Sprintf("stream %q vs %q", a.StreamID, b.StreamID)
	case a.Revision != b.Revision:
		return fmt.Sprintf("revision %d vs %d", a.Revision, b.Revision)
	case a.Position != b.Position:
		return fmt.Sprintf("position %d vs %d", a.Position, b.Position)
	case a.ID != b.ID:
		return fmt.Sprintf("ID %x vs %x", a.ID, b.ID)
	case a.Type != b.Type:
		return fmt.Sprintf("type %q vs %q", a.Type, b.Type)
	case !bytes.Equal(a.Data, b.Data):
		return fmt.Sprintf("data %q vs %q", a.Data, b.Data)
	case !bytes.Equal(a.Metadata, b.Metadata):
		return fmt.Sprintf("metadata %q vs %q", a.Metadata, b.Metadata)
	case !a.Created.Equal(b.Created):
		return fmt.Sprintf("created %v vs %v", a.Created, b.Created)
	}
	return ""
}

// wantSameEvents fails unless two lists hold the same events in the same order.
func (h *harness) wantSameEvents(what string, got, want []eventstore.RecordedEvent) {
	h.t.Helper()
	if len(got) != len(want) {
		h.t.Fatalf("%s: %d events, want %d\n got: %s\nwant: %s", what, len(got), len(want), describe(got), describe(want))
	}
	for i := range got {
		if d := sameEvent(got[i], want[i]); d != "" {
			h.t.Fatalf("%s: event %d differs: %s", what, i, d)
		}
	}
}

// describe lists events compactly for failure messages.
func describe(evs []eventstore.RecordedEvent) string {
	var b strings.Builder
	for i, ev := range evs {
		if i == 20 {
			fmt.Fprintf(&b, "… (%d more)", len(evs)-i)
			break
		}
		fmt.Fprintf(&b, "[%s@%d pos %d] ", ev.StreamID, ev.Revision, ev.Position)
	}
	return b.String()
}

// wantIncreasing fails unless positions increase strictly and, where the
// adapter promises gapless positions and no one else writes, by one.
func (h *harness) wantIncreasing(what string, evs []eventstore.RecordedEvent, consecutive bool) {
	h.t.Helper()
	for i := 1; i < len(evs); i++ {
		prev, cur := evs[i-1].Position, evs[i].Position
		if cur <= prev {
			h.t.Fatalf("%s: position %d follows %d; positions must increase strictly", what, cur, prev)
		}
		if consecutive && h.f.GaplessPositions && cur != prev+1 {
			h.t.Fatalf("%s: position %d follows %d; gapless positions must be consecutive", what, cur, prev)
		}
	}
}

// sub gives a nested subtest its own prefixes on the same store.
func (h *harness) sub(t *testing.T) *harness {
	t.Parallel()
	token := randomToken()
	return &harness{t: t, store: h.store, f: h.f, prefix: "st" + token + "-", tprefix: "T" + token + "."}
}

// sub0 is sub without t.Parallel, for subtests that only report.
func (h *harness) sub0(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}
