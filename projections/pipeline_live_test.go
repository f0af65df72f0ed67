package projections_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
)

// TestRebuildDuringLiveAppendsLosesNothing: live batches apply without
// holding the writer, so a rebuild can swap the tables under an open batch;
// that batch must be dropped and redelivered, never committed onto the new
// tables. After rebuilds under a steady append load, the live tables equal a
// rebuild from scratch.
func TestRebuildDuringLiveAppendsLosesNothing(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		appendEvents(t, s, 200, 5, "Tick")
		p := newPipeline(t, s, v, projections.PipelineConfig{
			Projections: []projections.Definition{tally("tally_a"), tally("tally_b")},
			LiveLinger:  5 * time.Millisecond})
		runPipeline(t, p)
		waitFor(t, p, 200)

		stop := make(chan struct{})
		appended := make(chan eventstore.Position, 1)
		started := make(chan struct{})
		go func() {
			defer close(started) // also when the first append failed
			var last eventstore.Position
			for i := 0; ; i++ {
				select {
				case <-stop:
					appended <- last
					return
				default:
				}
				res, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%5), eventstore.Any(),
					eventstore.EventData{ID: uuid.New(), Type: "Tock", Data: []byte(`{}`), Metadata: []byte(`{}`)})
				if err != nil {
					t.Errorf("append: %v", err)
					appended <- last
					return
				}
				last = res.Position
				if i == 0 {
					started <- struct{}{}
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
		<-started // the rebuilds overlap live appends
		for range 3 {
			if _, err := p.Rebuild(context.Background(), nil, "tally_a"); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		last := <-appended
		if last <= 200 {
			t.Fatalf("no live appends happened during the rebuilds (last position %d)", last)
		}
		waitFor(t, p, last)
		live := dump(t, v, "tally_a", "tally_b")
		if _, err := p.Rebuild(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if rebuilt := dump(t, v, "tally_a", "tally_b"); rebuilt != live {
			t.Errorf("live tables differ from a rebuild of the same log:\nlive:\n%s\nrebuilt:\n%s", live, rebuilt)
		}
	})
}

// TestLiveLingerCommitsWithoutFurtherEvents: a lingering batch commits on
// its own timer; a lone event becomes visible without any later message.
func TestLiveLingerCommitsWithoutFurtherEvents(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	p := newPipeline(t, s, v, projections.PipelineConfig{
		Projections: []projections.Definition{tally("tally_a")}, LiveLinger: 20 * time.Millisecond})
	runPipeline(t, p)
	last := appendEvents(t, s, 1, 1, "Tick")
	waitFor(t, p, last)
	if got := dump(t, v, "tally_a"); got != expectedTally(1, 1, 1, "Tick", "Tock") {
		t.Errorf("after one lingering event:\n%s", got)
	}
}

func TestLiveLingerIsValidated(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	for _, d := range []time.Duration{-time.Millisecond, time.Second} {
		_, err := projections.NewPipeline(s, v, projections.PipelineConfig{
			Projections: []projections.Definition{tally("tally_a")}, LiveLinger: d, BatchInterval: 100 * time.Millisecond})
		if err == nil {
			t.Errorf("LiveLinger %v with BatchInterval 100ms accepted", d)
		}
	}
}

// TestEventLagCountsLiveEventsOnly: the event-lag histogram observes every
// event applied live, once, and none replayed while catching up.
func TestEventLagCountsLiveEventsOnly(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	appendEvents(t, s, 30, 3, "Tick")
	reg := prometheus.NewRegistry()
	p := newPipeline(t, s, v, projections.PipelineConfig{
		Projections: []projections.Definition{tally("tally_a")}, Registerer: reg, LiveLinger: time.Millisecond})
	runPipeline(t, p)
	waitFor(t, p, 30)
	for !p.Ready() {
		time.Sleep(time.Millisecond)
	}
	waitFor(t, p, appendEvents(t, s, 12, 3, "Tock"))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var count uint64
	for _, f := range families {
		if f.GetName() != "paidan_projection_event_lag_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			count += m.GetHistogram().GetSampleCount()
		}
	}
	if count != 12 {
		t.Errorf("event lag observed %d events, want the 12 appended live", count)
	}
}
