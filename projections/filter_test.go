package projections_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// TestTypeFilterSkipsOtherEventsAndKeepsUp: a projection that reads one type
// sees only it, yet stands at the head of the log whatever the last events
// were — caught up through more dropped events than one checkpoint covers,
// and live with a dropped event last — so readers waiting for a position
// are never left waiting for the next event it reads.
func TestTypeFilterSkipsOtherEventsAndKeepsUp(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	appendEvents(t, s, 20, 7, "Tock")
	head := appendEvents(t, s, 1500, 7, "Tick") // more than the Source drops between checkpoints
	onlyTock := tally("tally_a")
	onlyTock.Types = []string{"Tock"}
	p := newPipeline(t, s, v, projections.PipelineConfig{Projections: []projections.Definition{onlyTock, tally("tally_b")}, BatchSize: 40})
	runPipeline(t, p)
	waitFor(t, p, head)

	appendEvents(t, s, 30, 7, "Tock")
	head = appendEvents(t, s, 5, 7, "Tick")
	waitFor(t, p, head)

	// The Tocks are positions 1-20 and 1521-1550, each run spread over
	// s-0…s-6 from s-0.
	rows := map[string][2]int{} // stream → events, position sum
	for _, run := range [][2]int{{1, 20}, {1521, 30}} {
		for i := range run[1] {
			st := fmt.Sprintf("s-%d", i%7)
			r := rows[st]
			rows[st] = [2]int{r[0] + 1, r[1] + run[0] + i}
		}
	}
	var lines []string
	for st, r := range rows {
		lines = append(lines, fmt.Sprintf("%q\t%d\t%d\t%q", st, r[0], r[1], "Tock"))
	}
	slices.Sort(lines)
	want := "# tally_a (stream, events, position_sum, last_type)\n" + strings.Join(lines, "\n") + "\n"
	if got := dump(t, v, "tally_a"); got != want {
		t.Errorf("tally_a, reading Tock only:\n got %s\nwant %s", got, want)
	}
	st, err := p.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Position != uint64(head) || s.Lag != 0 {
			t.Errorf("status %+v: expected position %d (the head), lag 0", s, head)
		}
	}
}

// TestTypeFiltersChangeNoReadModel: the read models' filters drop only events
// their models ignore. A log like the golden one but longer holds every event
// type; replayed with and without the filters it gives the same tables.
func TestTypeFiltersChangeNoReadModel(t *testing.T) {
	s := newMemstore(t)
	head := writeLog(t, s, projtest.Config{Seed: 7, Orders: 400, Teams: 12, Interleave: 10})
	seen := map[string]bool{}
	evs, err := s.ReadAll(context.Background(), eventstore.ReadAllOptions{From: eventstore.Start, Limit: int(head)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		seen[ev.Type] = true
	}
	for _, typ := range domain.EventTypes() {
		if !seen[typ] {
			t.Fatalf("the log has no %s event: it cannot check the filters", typ)
		}
	}

	filtered, unfiltered := projections.Definitions(), projections.Definitions()
	for i := range unfiltered {
		for _, typ := range filtered[i].Types {
			if !slices.Contains(domain.EventTypes(), typ) {
				t.Errorf("projection %s reads %q, not an event type", filtered[i].Name, typ)
			}
		}
		unfiltered[i].Types = nil
	}
	var dumps []string
	for _, defs := range [][]projections.Definition{filtered, unfiltered} {
		v := sqliteViews(t)
		p := newPipeline(t, s, v, projections.PipelineConfig{Projections: defs, Decode: projections.DecodeDomainFast, BatchSize: 13})
		runPipeline(t, p)
		waitFor(t, p, head)
		assertNothingParked(t, v)
		dumps = append(dumps, dump(t, v, modelTables()...))
	}
	if dumps[0] != dumps[1] {
		t.Errorf("filtered read models differ from unfiltered ones:\n%s", diffLines(dumps[1], dumps[0]))
	}
}
