package projections_test

import (
	"testing"

	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// BenchmarkDecodeDomainFast decodes a generated log's events, the decode
// stage of a rebuild; per op is one event.
func BenchmarkDecodeDomainFast(b *testing.B) {
	var events []projections.Event
	for a := range projtest.Generate(projtest.Config{Seed: 1, Events: 20_000, Teams: 200}) {
		for _, e := range a.Events {
			events = append(events, projections.Event{Type: e.Type, Data: e.Data})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := &events[i%len(events)]
		if _, err := projections.DecodeDomainFast(ev); err != nil {
			b.Fatal(err)
		}
	}
}
