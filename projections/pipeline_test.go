package projections_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/projections"
)

func TestPipelineFollowsTheLogCatchUpThenLive(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		appendEvents(t, s, 250, 7, "Tick")
		p := newPipeline(t, s, v, projections.PipelineConfig{
			Projections: []projections.Definition{tally("tally_a"), tally("tally_b")}, BatchSize: 40})
		runPipeline(t, p)
		waitFor(t, p, 250)
		last := appendEvents(t, s, 50, 7, "Tock")
		waitFor(t, p, last)

		got := dump(t, v, "tally_a")
		if want := expectedTally(300, 7, 250, "Tick", "Tock"); got != want {
			t.Errorf("tally_a after catch-up and live events:\n got %s\nwant %s", got, want)
		}
		if b := strings.Replace(dump(t, v, "tally_b"), "tally_b", "tally_a", 1); b != got {
			t.Errorf("tally_b differs from tally_a:\n%s\n%s", b, got)
		}
		if !p.Ready() {
			t.Error("Ready() = false after both projections caught up")
		}
		st, err := p.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if s.Position != 300 || s.Head != 300 || s.Lag != 0 || s.Parked != 0 {
				t.Errorf("status %+v: expected position = head = 300, lag 0, nothing parked", s)
			}
		}
	})
}

// expectedTally computes what tally holds after n events appended round-robin
// to streams s-0…s-(k-1) by two calls of appendEvents: split events of type a,
// then the rest of type b, each call starting again at s-0.
func expectedTally(n, k, split int, a, b string) string {
	type row struct {
		events, sum int64
		last        string
	}
	rows := map[string]*row{}
	for i := 0; i < n; i++ {
		j := i
		if i >= split {
			j = i - split
		}
		st := fmt.Sprintf("s-%d", j%k)
		r := rows[st]
		if r == nil {
			r = &row{}
			rows[st] = r
		}
		r.events++
		r.sum += int64(i + 1)
		r.last = a
		if i >= split {
			r.last = b
		}
	}
	var lines []string
	for st, r := range rows {
		lines = append(lines, fmt.Sprintf("%q\t%d\t%d\t%q", st, r.events, r.sum, r.last))
	}
	sortStrings(lines)
	return "# tally_a (stream, events, position_sum, last_type)\n" + strings.Join(lines, "\n") + "\n"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestPoisonEventIsParkedInOneProjectionOnly(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		appendEvents(t, s, 20, 3, "Tick")
		poison := appendEvents(t, s, 1, 1, "Poison")
		last := appendEvents(t, s, 20, 3, "Tick")
		reg := prometheus.NewRegistry()
		p := newPipeline(t, s, v, projections.PipelineConfig{
			Projections: []projections.Definition{tally("tally_a", "Poison"), tally("tally_b")},
			Registerer:  reg, MaxRetries: 2, RetryInterval: 1})
		runPipeline(t, p)
		waitFor(t, p, last)

		parked, err := v.Parked(context.Background(), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(parked) != 1 || parked[0].Projection != "tally_a" || parked[0].Position != uint64(poison) ||
			parked[0].Type != "Poison" || !strings.Contains(parked[0].Error, "tally refuses Poison") {
			t.Fatalf("parked = %+v, expected the Poison event at %d parked by tally_a with its error", parked, poison)
		}
		if n := parkedCount(t, reg, "tally_a"); n != 1 {
			t.Errorf("paidan_projection_parked_total{projection=tally_a} = %v, expected 1", n)
		}
		// s-0 got positions 1, 4, …, 19, the poison at 21, then 22, 25, …, 40.
		a, b := dump(t, v, "tally_a"), dump(t, v, "tally_b")
		if !strings.Contains(a, "\"s-0\"\t14\t287\t") || !strings.Contains(b, "\"s-0\"\t15\t308\t") {
			t.Errorf("expected the poison event to leave no trace in tally_a (s-0: 14 events, sum 287) and be applied by tally_b (15, 308):\n%s\n%s", a, b)
		}
		st, err := p.Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range st {
			if x.Lag != 0 || x.Position != uint64(last) {
				t.Errorf("status %+v: expected every projection at %d with no lag after parking", x, last)
			}
			if want := map[string]int{"tally_a": 1, "tally_b": 0}[x.Projection]; x.Parked != want {
				t.Errorf("status of %s: parked %d, expected %d", x.Projection, x.Parked, want)
			}
		}
	})
}

func parkedCount(t *testing.T, reg *prometheus.Registry, projection string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "paidan_projection_parked_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "projection" && l.GetValue() == projection {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no paidan_projection_parked_total series for %s", projection)
	return 0
}

// TestInjectedCrashesChangeNothing fails batch commits at random between the
// read-model write and the checkpoint, before the commit and after it (before
// the ack), many times; the tables must end equal to a clean rebuild.
func TestInjectedCrashesChangeNothing(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		appendEvents(t, s, 400, 11, "Tick")
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(1, 2))
		injected := map[projections.FailPoint]int{}
		errCrash := errors.New("injected crash")
		p := newPipeline(t, s, v, projections.PipelineConfig{
			Projections: []projections.Definition{tally("tally_a")}, BatchSize: 7,
			Source: projections.SourceConfig{MinBackoff: 1, MaxBackoff: 2},
			FailAt: func(_ string, fp projections.FailPoint) error {
				mu.Lock()
				defer mu.Unlock()
				if rng.IntN(3) == 0 {
					injected[fp]++
					return errCrash
				}
				return nil
			}})
		runPipeline(t, p)
		waitFor(t, p, 400)
		last := appendEvents(t, s, 100, 11, "Tock")
		waitFor(t, p, last)
		live := dump(t, v, "tally_a")

		mu.Lock()
		for _, fp := range []projections.FailPoint{projections.FailBeforeCheckpoint, projections.FailBeforeCommit, projections.FailAfterCommit} {
			if injected[fp] < 5 {
				t.Errorf("only %d failures injected at %s; the test needs many", injected[fp], fp)
			}
		}
		mu.Unlock()

		fresh := open(t)
		if _, err := projections.Rebuild(context.Background(), s, fresh, projections.RebuildConfig{
			Projections: []projections.Definition{tally("tally_a")}}); err != nil {
			t.Fatal(err)
		}
		if want := dump(t, fresh, "tally_a"); live != want {
			t.Errorf("after injected crashes:\n%s\nclean rebuild:\n%s", live, want)
		}
		if want := expectedTally(500, 11, 400, "Tick", "Tock"); live != want {
			t.Errorf("after injected crashes:\n%s\nexpected:\n%s", live, want)
		}
	})
}

func TestRebuildWhileRunningSwapsCompleteTables(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, v := newMemstore(t), open(t)
		appendEvents(t, s, 300, 5, "Tick")
		p := newPipeline(t, s, v, projections.PipelineConfig{
			Projections: []projections.Definition{tally("tally_a"), tally("tally_b")}})
		runPipeline(t, p)
		waitFor(t, p, 300)
		before := dump(t, v, "tally_a", "tally_b")

		var reports []projections.Progress
		res, err := p.Rebuild(context.Background(), func(pr projections.Progress) { reports = append(reports, pr) }, "tally_a")
		if err != nil {
			t.Fatal(err)
		}
		if res.Events != 300 || res.Position != 300 || len(res.Projections) != 1 {
			t.Errorf("rebuild result %+v: expected 300 events up to position 300 of tally_a", res)
		}
		if len(reports) == 0 || !reports[len(reports)-1].Done || reports[len(reports)-1].Events != 300 {
			t.Errorf("progress reports %+v: expected a final Done report of 300 events", reports)
		}
		if after := dump(t, v, "tally_a", "tally_b"); after != before {
			t.Errorf("a rebuild of the same log changed the tables:\n%s\n%s", before, after)
		}
		// The live pipeline continues on the swapped tables.
		last := appendEvents(t, s, 30, 5, "Tock")
		waitFor(t, p, last)
		if got, want := dump(t, v, "tally_a"), expectedTally(330, 5, 300, "Tick", "Tock"); got != want {
			t.Errorf("after rebuild and live events:\n%s\nexpected:\n%s", got, want)
		}
	})
}

func TestWaitForHonoursContext(t *testing.T) {
	s, v := newMemstore(t), sqliteViews(t)
	p := newPipeline(t, s, v, projections.PipelineConfig{Projections: []projections.Definition{tally("tally_a")}})
	runPipeline(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.WaitFor(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor on an empty log with a cancelled context = %v, expected context.Canceled", err)
	}
	if err := p.WaitFor(context.Background(), 1, "nope"); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Errorf("WaitFor an unknown projection = %v, expected ErrUnknownProjection", err)
	}
}
