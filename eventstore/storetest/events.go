package storetest

import (
	"bytes"
	"strings"
	"time"

	"github.com/paidan/paidan/eventstore"
)

var eventTests = []suiteTest{
	{"RoundTrip", testRoundTrip},
	{"ZeroIDGetsRandomID", testZeroID},
	{"CreatedIsUTCAndRecent", testCreated},
	{"LargeEvent", testLargeEvent},
	{"BuffersNotShared", testBuffersNotShared},
	{"LongestStreamName", testLongestStreamName},
}

// testLongestStreamName: a name of MaxStreamNameLength bytes is accepted.
func testLongestStreamName(h *harness) {
	stream := h.stream(strings.Repeat("n", eventstore.MaxStreamNameLength-len(h.prefix)))
	h.mustAppend(stream, eventstore.NoStream(), h.event("Long", `{}`))
	if got := h.mustReadStream(stream); len(got) != 1 || got[0].StreamID != stream {
		h.t.Fatalf("a stream with a %d-byte name read back as %d events (%s)", len(stream), len(got), describe(got))
	}
}

// testBuffersNotShared: the store keeps its own copy of what it was given
// and hands out copies, so neither the writer nor a reader altering a byte
// slice afterwards changes what is stored.
func testBuffersNotShared(h *harness) {
	stream := h.stream("buf")
	data, meta := []byte(`{"v":"original"}`), []byte(`{"m":"original"}`)
	h.mustAppend(stream, eventstore.NoStream(), eventstore.EventData{ID: newID(), Type: h.typ("Buf"), Data: data, Metadata: meta})
	copy(data, "XXXXXXXXXXXX")
	copy(meta, "XXXXXXXXXXXX")
	first := h.mustReadStream(stream)[0]
	if string(first.Data) != `{"v":"original"}` || string(first.Metadata) != `{"m":"original"}` {
		h.t.Fatalf("altering the appended slices changed the stored event to %q / %q", first.Data, first.Metadata)
	}
	copy(first.Data, "YYYYYYYYYYYY")
	copy(first.Metadata, "YYYYYYYYYYYY")
	again := h.mustReadStream(stream)[0]
	if string(again.Data) != `{"v":"original"}` || string(again.Metadata) != `{"m":"original"}` {
		h.t.Fatalf("altering a read event's slices changed the stored event to %q / %q", again.Data, again.Metadata)
	}
}

// testRoundTrip: IDs, types, data and metadata come back byte-exact,
// including empty and binary payloads, in revision order from 0.
func testRoundTrip(h *harness) {
	stream := h.stream("rt")
	in := []eventstore.EventData{
		{ID: newID(), Type: h.typ("Json"), Data: []byte(`{"a":1,"ü":"派单"}`), Metadata: []byte(`{"m":true}`)},
		{ID: newID(), Type: h.typ("Empty"), Data: nil, Metadata: nil},
		{ID: newID(), Type: h.typ("EmptySlices"), Data: []byte{}, Metadata: []byte{}},
		{ID: newID(), Type: h.typ("Binary"), Data: []byte{0, 1, 2, 0xff, 0xfe, 0}, Metadata: []byte{0x80}},
		{ID: newID(), Type: h.typ(strings.Repeat("t", eventstore.MaxTypeLength-len(h.tprefix))), Data: []byte(`"max type"`)},
	}
	res := h.mustAppend(stream, eventstore.NoStream(), in...)
	out := h.mustReadStream(stream)
	if len(out) != len(in) {
		h.t.Fatalf("read %d events, appended %d", len(out), len(in))
	}
	for i, ev := range out {
		want := in[i]
		switch {
		case ev.StreamID != stream:
			h.t.Errorf("event %d: stream %q, want %q", i, ev.StreamID, stream)
		case ev.Position == 0:
			h.t.Errorf("event %d: position 0; the position of a stored event is above Start", i)
		case ev.Revision != uint64(i):
			h.t.Errorf("event %d: revision %d, want %d", i, ev.Revision, i)
		case ev.ID != want.ID:
			h.t.Errorf("event %d: ID %x, want %x", i, ev.ID, want.ID)
		case ev.Type != want.Type:
			h.t.Errorf("event %d: type %q, want %q", i, ev.Type, want.Type)
		case len(ev.Data) != len(want.Data) || !bytes.Equal(ev.Data, want.Data):
			h.t.Errorf("event %d: data %q (%d bytes), want %q (%d bytes)", i, ev.Data, len(ev.Data), want.Data, len(want.Data))
		case len(ev.Metadata) != len(want.Metadata) || !bytes.Equal(ev.Metadata, want.Metadata):
			h.t.Errorf("event %d: metadata %q, want %q", i, ev.Metadata, want.Metadata)
		}
	}
	h.wantResult("Append result", res, resultOf(out[len(out)-1]))
	// One append is one contiguous run in the global log.
	h.wantIncreasing("positions of one append", out, true)
}

// testZeroID: the zero ID asks the store for a random one, distinct per event
// and never zero; given IDs are kept.
func testZeroID(h *harness) {
	stream := h.stream("zero")
	given := newID()
	h.mustAppend(stream, eventstore.NoStream(),
		eventstore.EventData{Type: h.typ("Anon")},
		eventstore.EventData{Type: h.typ("Anon")},
		eventstore.EventData{ID: given, Type: h.typ("Named")},
	)
	out := h.mustReadStream(stream)
	if len(out) != 3 {
		h.t.Fatalf("read %d events, want 3", len(out))
	}
	var zero [16]byte
	if out[0].ID == zero || out[1].ID == zero {
		h.t.Fatalf("events appended with the zero ID read back with IDs %x and %x; want random non-zero IDs", out[0].ID, out[1].ID)
	}
	if out[0].ID == out[1].ID {
		h.t.Fatalf("two events appended with the zero ID got the same ID %x", out[0].ID)
	}
	if out[2].ID != given {
		h.t.Fatalf("event appended with ID %x reads back with %x", given, out[2].ID)
	}
}

// testCreated: Created is UTC and within ClockSkew of the append.
func testCreated(h *harness) {
	stream := h.stream("created")
	before := time.Now()
	h.mustAppend(stream, eventstore.NoStream(), h.event("Timed", `{}`))
	after := time.Now()
	ev := h.mustReadStream(stream)[0]
	if ev.Created.Location() != time.UTC {
		h.t.Errorf("Created %v is in location %q, want UTC", ev.Created, ev.Created.Location())
	}
	lo, hi := before.Add(-h.f.ClockSkew), after.Add(h.f.ClockSkew)
	if ev.Created.Before(lo) || ev.Created.After(hi) {
		h.t.Errorf("Created %v lies outside the append's time %v…%v (±%v)", ev.Created, before.UTC(), after.UTC(), h.f.ClockSkew)
	}
}

// testLargeEvent: an event well within MaxEventSize round-trips intact.
// (The exact boundary is not probed: EventStoreDB also counts the type name
// against its 1 MiB limit.)
func testLargeEvent(h *harness) {
	stream := h.stream("large")
	data := bytes.Repeat([]byte("0123456789abcdef"), eventstore.MaxEventSize/2/16)
	h.mustAppend(stream, eventstore.NoStream(), eventstore.EventData{ID: newID(), Type: h.typ("Big"), Data: data})
	ev := h.mustReadStream(stream)[0]
	if !bytes.Equal(ev.Data, data) {
		h.t.Fatalf("a %d-byte payload read back as %d bytes or altered", len(data), len(ev.Data))
	}
}
