package projections_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// TestFastDecoderAgreesWithTheDomainCodec decodes generated logs and odd
// payloads both ways: every field must match, except the dispatch decision
// the fast decoder leaves out.
func TestFastDecoderAgreesWithTheDomainCodec(t *testing.T) {
	var events []projections.Event
	for seed := uint64(1); seed <= 3; seed++ {
		for a := range projtest.Generate(projtest.Config{Seed: seed, Orders: 300, Teams: 20, Interleave: 5}) {
			for _, e := range a.Events {
				events = append(events, projections.Event{Type: e.Type, Data: e.Data})
			}
		}
	}
	fastPath := 0
	for _, ev := range events {
		if projections.FastDecodes(ev.Type, ev.Data) {
			fastPath++
		}
	}
	if fastPath != len(events) {
		t.Errorf("the fast path read %d of %d generated events; expected all", fastPath, len(events))
	}
	id := uuid.MustParse("6f1d2c3a-0000-4000-8000-000000000001").String()
	odd := []projections.Event{
		{Type: domain.EventTypeOrderPlaced, Data: []byte(`{"order_id":"` + id + `","title":"say \"hi\"","placed_at":"2026-11-01T08:00:00Z"}`)},
		{Type: domain.EventTypeOrderPlaced, Data: []byte(` { "order_id" : "` + id + `" , "Title":"mixed case key" } `)},
		{Type: domain.EventTypeOrderRated, Data: []byte(`{"order_id":"` + id + `","stars":"4星","remark":"v1"}`)},
		{Type: domain.EventTypeOrderRated, Data: []byte(`{"schema_version":2,"order_id":"` + id + `","stars":5,"extra":{"a":[1,2]}}`)},
		{Type: domain.EventTypeTeamRegistered, Data: []byte(`{"team_id":"t1","skills":null,"capacity":3}`)},
		{Type: domain.EventTypeTeamRegistered, Data: []byte(`{"team_id":"t1","skills":[],"capacity":3}`)},
		{Type: domain.EventTypeOrderOffered, Data: []byte(`{"order_id":"` + id + `","decision":{"c":[{"x":"}"}],"n":null},"automatic":true}`)},
		{Type: domain.EventTypeOrderCompleted, Data: []byte(`{"order_id":"` + id + `","volunteer_hours":1.5e0}`)},
		{Type: domain.EventTypeOrderPlaced, Data: []byte(`{"order_id":"not-a-uuid"}`)},
		{Type: domain.EventTypeOrderPlaced, Data: []byte(`{"order_id":"` + id + `"`)},
		{Type: "SomethingElse", Data: []byte(`{}`)},
	}
	for i, ev := range odd {
		if want := i == 4 || i == 5 || i == 6 || i == 7; projections.FastDecodes(ev.Type, ev.Data) != want {
			t.Errorf("odd payload %d %s: fast path %v, expected %v", i, ev.Data, !want, want)
		}
	}
	events = append(events, odd...)
	for i := range events {
		ev := events[i]
		slow, serr := projections.DecodeDomain(&ev)
		fast, ferr := projections.DecodeDomainFast(&ev)
		if (serr == nil) != (ferr == nil) {
			t.Errorf("%s %s: codec error %v, fast error %v", ev.Type, ev.Data, serr, ferr)
			continue
		}
		if o, ok := slow.(domain.OrderOffered); ok {
			o.Decision = nil
			slow = o
		}
		if !reflect.DeepEqual(slow, fast) {
			t.Errorf("%s %s:\ncodec %#v\nfast  %#v", ev.Type, ev.Data, slow, fast)
		}
	}
}
