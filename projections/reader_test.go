package projections_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// midway is a log cut in the middle of 30 orders' lifecycles, so the queue
// holds orders in every state.
var midway = projtest.Config{Seed: 11, Events: 400, Teams: 12, Interleave: 30}

// liveReadModels replays a log through a running pipeline and
// returns a Reader over the result.
func liveReadModels(t *testing.T, open func(*testing.T) *projections.Views, log projtest.Config) (eventstore.Store, *projections.Views, *projections.Pipeline, *projections.Reader, eventstore.Position) {
	t.Helper()
	s, v := newMemstore(t), open(t)
	head := writeLog(t, s, log)
	p := readModelPipeline(t, s, v, projections.PipelineConfig{})
	runPipeline(t, p)
	waitFor(t, p, head)
	r, err := projections.NewReader(v, projections.ReaderConfig{Lag: p.Lag, MaxPageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	return s, v, p, r, head
}

func count(t *testing.T, v *projections.Views, q string, args ...any) int {
	t.Helper()
	var n int
	if err := v.DB().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestReaderAfterACommandWaitsForItsPosition(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		s, _, p, r, _ := liveReadModels(t, open, goldenLog)
		id := uuid.New()
		typ, data, err := domain.MarshalEvent(domain.OrderPlaced{OrderID: id, Resident: "r-1", Category: domain.CategoryHealth,
			Title: "量血压", StationID: "qinghe-001", InstituteID: "qinghe", PlacedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Append(context.Background(), domain.OrderStream(id), eventstore.NoStream(),
			eventstore.EventData{ID: uuid.New(), Type: typ, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.WaitFor(ctx, res.Position, projections.NameOrders, projections.NameQueue); err != nil {
			t.Fatal(err)
		}
		o, fr, err := r.Order(ctx, id.String())
		if err != nil {
			t.Fatalf("order placed at position %d not readable after waiting for it: %v", res.Position, err)
		}
		if o.Status != "placed" || o.Category != "health" || o.Revision != 0 || fr.Position < uint64(res.Position) || fr.Lag != 0 {
			t.Errorf("order %+v at %+v: expected placed health, revision 0, position >= %d and no lag", o, fr, res.Position)
		}
		if _, _, err := r.Order(ctx, uuid.NewString()); !errors.Is(err, projections.ErrNotFound) {
			t.Errorf("unknown order: err = %v, expected ErrNotFound", err)
		}
	})
}

func TestQueuePagesEscalatedFirstThenOldest(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		_, v, _, r, head := liveReadModels(t, open, midway)
		ctx := context.Background()
		total := count(t, v, `SELECT COUNT(*) FROM queue`)
		if total < 5 {
			t.Fatalf("the golden log leaves %d orders in the queue; the test needs several", total)
		}
		var rows []projections.QueueRow
		cursor, pages := "", 0
		for {
			page, err := r.Queue(ctx, projections.QueueQuery{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if page.Freshness.Position != uint64(head) {
				t.Errorf("page freshness %+v, expected position %d", page.Freshness, head)
			}
			rows = append(rows, page.Rows...)
			pages++
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if len(rows) != total || pages != (total+1)/2 {
			t.Fatalf("paged %d rows in %d pages, expected %d rows in %d pages", len(rows), pages, total, (total+1)/2)
		}
		seen := map[string]bool{}
		for i, row := range rows {
			if seen[row.OrderID] {
				t.Errorf("order %s appears twice", row.OrderID)
			}
			seen[row.OrderID] = true
			if i == 0 {
				continue
			}
			prev := rows[i-1]
			pe, ce := prev.Status == "escalated", row.Status == "escalated"
			if ce && !pe || (pe == ce && row.PlacedAt.Before(prev.PlacedAt)) {
				t.Errorf("row %d (%s, placed %v) after (%s, placed %v): expected escalated first, then oldest first",
					i, row.Status, row.PlacedAt, prev.Status, prev.PlacedAt)
			}
		}
		esc, err := r.Queue(ctx, projections.QueueQuery{Status: "escalated", Now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		if want := count(t, v, `SELECT COUNT(*) FROM queue WHERE status = 'escalated'`); len(esc.Rows) != want || want == 0 {
			t.Errorf("status filter returned %d escalated rows, expected %d (> 0)", len(esc.Rows), want)
		}
		for _, row := range esc.Rows {
			if !slices.Contains(row.SLAFlags, projections.FlagEscalated) || !slices.Contains(row.SLAFlags, projections.FlagWaiting) {
				t.Errorf("escalated row waiting since %v has flags %v at 2030, expected escalated and waiting_too_long", row.SinceAt, row.SLAFlags)
			}
		}
		if _, err := r.Queue(ctx, projections.QueueQuery{Cursor: "not-a-cursor"}); !errors.Is(err, projections.ErrInvalidQuery) {
			t.Errorf("bad cursor: err = %v, expected ErrInvalidQuery", err)
		}
	})
}

func TestQueueChangeFeedResumesOrResets(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		_, v, _, r, _ := liveReadModels(t, open, midway)
		ctx := context.Background()
		all, err := r.QueueChangesAfter(ctx, 0, 1000, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, v, `SELECT COUNT(*) FROM queue_changes`); len(all.Changes) != n || n == 0 || all.Reset {
			t.Fatalf("feed from 0 returned %d changes (reset %v), expected all %d", len(all.Changes), all.Reset, n)
		}
		for i := 1; i < len(all.Changes); i++ {
			if all.Changes[i].ID <= all.Changes[i-1].ID {
				t.Fatalf("change ids %d then %d: expected strictly increasing", all.Changes[i-1].ID, all.Changes[i].ID)
			}
		}
		mid := all.Changes[len(all.Changes)/2]
		rest, err := r.QueueChangesAfter(ctx, mid.ID, 1000, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if rest.Reset || len(rest.Changes) != len(all.Changes)-len(all.Changes)/2-1 || rest.Changes[0].ID <= mid.ID {
			t.Errorf("resume after %d: %d changes (reset %v), expected the %d later ones", mid.ID, len(rest.Changes), rest.Reset,
				len(all.Changes)-len(all.Changes)/2-1)
		}
		// A position that carried no queue change (a team event; where a
		// client read the queue) with nothing trimmed: every change after it.
		before, err := r.QueueChangesAfter(ctx, all.Changes[0].ID-1, 1000, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if before.Reset || len(before.Changes) != len(all.Changes) {
			t.Errorf("resume after %d, before the first change: %d changes (reset %v), expected all %d", all.Changes[0].ID-1,
				len(before.Changes), before.Reset, len(all.Changes))
		}
	})
}

// TestQueueChangeFeedTrimmedResets: the feed keeps its newest 10,000 changes;
// a client whose id predates a dropped change must reload, one at or after
// the newest dropped change is served what follows.
func TestQueueChangeFeedTrimmedResets(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trimming needs a log of over 10,000 queue changes (about 25 s per backend with -race)")
	}
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		_, v, _, r, _ := liveReadModels(t, open, projtest.Config{Seed: 5, Events: 12_200, Teams: 12, Interleave: 30})
		ctx := context.Background()
		kept := count(t, v, `SELECT COUNT(*) FROM queue_changes WHERE id > 0`)
		if kept < 10_000 || kept > 10_000+256 {
			t.Fatalf("the feed keeps %d changes, expected 10,000 to 10,256", kept)
		}
		oldest := count(t, v, `SELECT MIN(id) FROM queue_changes WHERE id > 0`)
		for _, tc := range []struct {
			name  string
			after uint64
			reset bool
			n     int
		}{
			{"before a dropped change", 1, true, 0},
			{"the empty log", 0, true, 0},
			{"just before the oldest kept", uint64(oldest) - 1, false, 10},
			{"the oldest kept", uint64(oldest), false, 10},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := r.QueueChangesAfter(ctx, tc.after, 10, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if got.Reset != tc.reset || len(got.Changes) != tc.n || (tc.n > 0 && got.Changes[0].ID <= tc.after) {
					t.Errorf("after %d (oldest kept %d): %d changes, reset %v; expected %d, reset %v", tc.after, oldest,
						len(got.Changes), got.Reset, tc.n, tc.reset)
				}
			})
		}
	})
}

func TestTeamsOffersSatisfactionSLA(t *testing.T) {
	backends(t, func(t *testing.T, open func(*testing.T) *projections.Views) {
		_, v, _, r, _ := liveReadModels(t, open, midway)
		ctx := context.Background()

		teams, _, err := r.Teams(ctx, projections.TeamQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(teams) != goldenLog.Teams {
			t.Errorf("%d teams, expected %d", len(teams), goldenLog.Teams)
		}
		avail, _, err := r.Teams(ctx, projections.TeamQuery{Available: true, Category: "health"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range avail {
			if !tm.Active || tm.Load >= tm.Capacity || !slices.Contains(tm.Skills, "health") {
				t.Errorf("available health team %+v: expected active, load < capacity, health skill", tm)
			}
			if tm.Ratings > 0 && (tm.GoodRatingRate != float64(tm.GoodRatings)/float64(tm.Ratings)) {
				t.Errorf("team %s good-rating rate %v, expected %d/%d", tm.TeamID, tm.GoodRatingRate, tm.GoodRatings, tm.Ratings)
			}
		}
		if _, _, err := r.Team(ctx, "nope"); !errors.Is(err, projections.ErrNotFound) {
			t.Errorf("unknown team: err = %v, expected ErrNotFound", err)
		}

		due, _, err := r.DueOffers(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, v, `SELECT COUNT(*) FROM offers`); len(due) != n {
			t.Errorf("due offers at 2030: %d, expected every pending offer (%d)", len(due), n)
		}
		for _, o := range due {
			mine, _, err := r.PendingOffers(ctx, o.TeamID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(mine, func(x projections.OfferView) bool { return x.OfferID == o.OfferID }) {
				t.Errorf("offer %s is due but not among team %s's pending offers", o.OfferID, o.TeamID)
			}
		}
		none, _, err := r.DueOffers(ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 0)
		if err != nil || len(none) != 0 {
			t.Errorf("due offers in 2000: %d (err %v), expected none", len(none), err)
		}

		completed := count(t, v, `SELECT COUNT(*) FROM orders WHERE completed_at IS NOT NULL`)
		rated := count(t, v, `SELECT COUNT(*) FROM orders WHERE stars IS NOT NULL`)
		good := count(t, v, `SELECT COUNT(*) FROM orders WHERE stars >= 4`)
		for _, by := range projections.Dimensions() {
			rep, err := r.Satisfaction(ctx, by)
			if err != nil {
				t.Fatal(err)
			}
			var c, n, g int64
			for _, row := range rep.Rows {
				c, n, g = c+row.Completed, n+row.Ratings, g+row.GoodRatings
				if row.GoodRatingRate < 0 || row.GoodRatingRate > 1 || row.RatingCoverage < 0 || row.RatingCoverage > 1 {
					t.Errorf("by %s, %s: rate %v, coverage %v; expected both within 0–1", by, row.Key, row.GoodRatingRate, row.RatingCoverage)
				}
			}
			if int(c) != completed || int(n) != rated || int(g) != good {
				t.Errorf("by %s: completed %d, ratings %d, good %d; the orders table says %d, %d, %d", by, c, n, g, completed, rated, good)
			}
		}
		if _, err := r.Satisfaction(ctx, "colour"); !errors.Is(err, projections.ErrInvalidQuery) {
			t.Errorf("unknown dimension: err = %v, expected ErrInvalidQuery", err)
		}

		sla, err := r.SLA(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if n := count(t, v, `SELECT COUNT(*) FROM orders`); sla.Orders != int64(n) || sla.Redispatched == 0 || sla.Redispatches < sla.Redispatched {
			t.Errorf("sla %+v: expected %d orders, some redispatched", sla, n)
		}
		for _, st := range sla.Stages {
			if st.Count == 0 || st.P50Seconds > st.P90Seconds || st.MeanSeconds <= 0 {
				t.Errorf("stage %+v: expected samples, p50 <= p90 and a positive mean", st)
			}
		}
		if want := count(t, v, `SELECT COUNT(*) FROM orders WHERE accepted_at IS NOT NULL`); sla.Stages[1].Count != int64(want) {
			t.Errorf("offer→acceptance samples %d, expected one per accepted order (%d)", sla.Stages[1].Count, want)
		}
	})
}
