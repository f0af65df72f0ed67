package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paidan/paidan/eventstore"
)

var validationTests = []suiteTest{
	{"Append", testValidateAppend},
	{"ReadLimits", testValidateLimits},
}

// testValidateAppend: every append the port refuses is refused with the
// port's error before anything is written, even when other events of the
// batch are valid.
func testValidateAppend(h *harness) {
	ok := func(h *harness) eventstore.EventData { return h.event("Fine", `{}`) }
	cases := []struct {
		name   string
		stream func(h *harness) string
		bad    func(h *harness) eventstore.EventData
		want   error
	}{
		{"empty_stream", func(*harness) string { return "" }, ok, eventstore.ErrInvalidEvent},
		{"system_stream", func(h *harness) string { return "$" + h.stream("sys") }, ok, eventstore.ErrInvalidEvent},
		{"long_stream", func(h *harness) string {
			return h.stream(strings.Repeat("s", eventstore.MaxStreamNameLength+1-len(h.prefix)))
		}, ok, eventstore.ErrInvalidEvent},
		{"empty_type", nil, func(*harness) eventstore.EventData {
			return eventstore.EventData{ID: newID(), Data: []byte(`{}`)}
		}, eventstore.ErrInvalidEvent},
		{"system_type", nil, func(h *harness) eventstore.EventData {
			return eventstore.EventData{ID: newID(), Type: "$" + h.typ("Sys")}
		}, eventstore.ErrInvalidEvent},
		{"long_type", nil, func(h *harness) eventstore.EventData {
			return eventstore.EventData{ID: newID(), Type: h.typ(strings.Repeat("t", eventstore.MaxTypeLength+1-len(h.tprefix)))}
		}, eventstore.ErrInvalidEvent},
		{"too_large_data", nil, func(h *harness) eventstore.EventData {
			return eventstore.EventData{ID: newID(), Type: h.typ("Big"), Data: make([]byte, eventstore.MaxEventSize+1)}
		}, eventstore.ErrEventTooLarge},
		{"too_large_data_and_metadata", nil, func(h *harness) eventstore.EventData {
			half := eventstore.MaxEventSize/2 + 1
			return eventstore.EventData{ID: newID(), Type: h.typ("Big"), Data: make([]byte, half), Metadata: make([]byte, half)}
		}, eventstore.ErrEventTooLarge},
	}
	for _, tc := range cases {
		h.t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			stream := h.stream("valid")
			if tc.stream != nil {
				stream = tc.stream(h)
			}
			for _, exp := range []eventstore.ExpectedRevision{eventstore.Any(), eventstore.NoStream()} {
				_, err := h.append(stream, exp, ok(h), tc.bad(h))
				h.wantErrIs(err, tc.want, fmt.Sprintf("Append(%s) with a %s", exp, tc.name))
			}
			if tc.stream == nil {
				h.wantLen(stream, 0)
			}
			if h.f.SharedLog {
				return
			}
			// The store is fresh: nothing of the refused batches may be in $all.
			all, err := h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{Limit: 10})
			if err != nil {
				t.Fatalf("ReadAll: unexpected error %v", err)
			}
			if len(all) != 0 {
				t.Fatalf("$all of a fresh store holds %d events after refused appends: %s", len(all), describe(all))
			}
		})
	}
}

// testValidateLimits: reads with a limit below 1 are refused.
func testValidateLimits(h *harness) {
	stream := h.stream("limits")
	h.mustAppend(stream, eventstore.NoStream(), h.event("Seed", `{}`))
	for _, limit := range []int{0, -1} {
		_, err := h.store.ReadStream(h.ctx(), stream, eventstore.ReadStreamOptions{Limit: limit})
		h.wantErrIs(err, eventstore.ErrInvalidRequest, fmt.Sprintf("ReadStream(Limit %d)", limit))
		_, err = h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{Limit: limit})
		h.wantErrIs(err, eventstore.ErrInvalidRequest, fmt.Sprintf("ReadAll(Limit %d)", limit))
		_, err = h.store.ReadAll(h.ctx(), eventstore.ReadAllOptions{Limit: limit, Direction: eventstore.Backwards, From: eventstore.End})
		h.wantErrIs(err, eventstore.ErrInvalidRequest, fmt.Sprintf("ReadAll(Backwards, Limit %d)", limit))
	}
	sub, err := h.store.SubscribeAll(h.ctx(), eventstore.SubscribeOptions{
		Filter:             eventstore.Filter{StreamPrefixes: []string{h.prefix}},
		CheckpointInterval: -1,
	})
	if err == nil {
		_ = sub.Close()
	}
	h.wantErrIs(err, eventstore.ErrInvalidRequest, "SubscribeAll(CheckpointInterval -1)")
}
