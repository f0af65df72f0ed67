package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/app"
	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// readCounter counts the stream reads that reach the store.
type readCounter struct {
	eventstore.Store
	inexact bool
	reads   atomic.Int64
}

func (s *readCounter) ReportsWrote() bool { return !s.inexact && eventstore.ReportsWrote(s.Store) }

func (s *readCounter) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	s.reads.Add(1)
	return s.Store.ReadStream(ctx, stream, opts)
}

// counted builds Commands over f's store that count their stream reads.
func (f *fixture) counted(cfg app.Config) (*app.Commands, *readCounter) {
	f.t.Helper()
	rc := &readCounter{Store: f.mem, inexact: f.racing.inexact}
	cfg.OfferTTL = ttl
	c, err := app.New(app.Deps{Store: rc, Directory: f.dir, Clock: f.clock}, cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return c, rc
}

// TestCacheCommonPathReadsNothing: the commands of a lifecycle issued by
// one Commands read no stream once the order is cached; with the cache
// off each reads its stream.
//
// Commands with an idempotency key (derived event ids, as the dispatcher's)
// read nothing either when the store's Wrote is exact; without it each
// reads its stream before appending, in case an earlier request with the
// key was stored behind the cache.
func TestCacheCommonPathReadsNothing(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ off, keyed, exact bool }{
		{false, false, true}, {true, false, true}, {false, true, true}, {false, true, false},
	} {
		t.Run(fmt.Sprintf("NoCache=%v/keyed=%v/exactWrote=%v", c.off, c.keyed, c.exact), func(t *testing.T) {
			off := c.off
			f := newFixtureWrote(t, app.Config{}, c.exact)
			team := f.team("t1", 0, 5, domain.CategoryErrand)
			cmds, rc := f.counted(app.Config{NoCache: off})
			m := as(teamMember(team))
			key := func(env app.Envelope, k string) app.Envelope {
				if c.keyed {
					env.IdempotencyKey = k
				}
				return env
			}
			placed, err := cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: as(resident), Category: domain.CategoryErrand,
				Title: "取快递", StationID: f.station(0).ID})
			if err != nil {
				t.Fatal(err)
			}
			id := placed.OrderID
			steps := []func() error{
				func() error {
					_, err := cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: key(as(coordinator), "d"), OrderID: id, TeamID: team})
					return err
				},
				func() error {
					_, err := cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: key(m, "a"), OrderID: id})
					return err
				},
				func() error {
					_, err := cmds.StartService(ctx, app.StartService{Envelope: key(m, "s"), OrderID: id})
					return err
				},
				func() error {
					_, err := cmds.CompleteOrder(ctx, app.CompleteOrder{Envelope: key(m, "c"), OrderID: id, VolunteerHours: 1})
					return err
				},
				func() error {
					_, err := cmds.RateOrder(ctx, app.RateOrder{Envelope: key(as(resident), "r"), OrderID: id, Stars: 5})
					return err
				},
			}
			for i, step := range steps {
				if err := step(); err != nil {
					t.Fatalf("step %d: %v", i+1, err)
				}
			}
			// The manual dispatch reads the named team (never cached).
			want := int64(1)
			if off || !c.exact {
				want = 1 + int64(len(steps))
			}
			if got := rc.reads.Load(); got != want {
				t.Fatalf("%d stream reads for place and five commands; want %d", got, want)
			}
			if got := types(f.stream(id)); len(got) != 6 || got[5] != domain.EventTypeOrderRated {
				t.Fatalf("stream %v; want the whole lifecycle", got)
			}
		})
	}
}

// TestCacheStaleStream: another process (f.other, its own cache) writes an
// order that f.cmds has cached. f.cmds's next command still decides on the
// order as stored: it succeeds after reading what it lacked, or it gets the
// refusal the stored order deserves; a refusal or no-op that only the stale
// cache would give is never returned.
func TestCacheStaleStream(t *testing.T) {
	ctx := context.Background()
	// place places an order through f.cmds, so f.cmds caches it.
	place := func(f *fixture) app.OrderResult {
		t.Helper()
		res, err := f.cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: as(resident), Category: domain.CategoryErrand,
			Title: "取快递", StationID: f.station(0).ID})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	t.Run("an append on a stale cache is decided again", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		team := f.team("t1", 0, 2, domain.CategoryErrand)
		id := place(f).OrderID
		f.offer(id, team) // behind f.cmds's back
		res, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id, Reason: "不用了"})
		if err != nil {
			t.Fatal(err)
		}
		// The cancellation saw the offer the cache did not have.
		if c, ok := res.Events[0].(domain.OrderCancelled); !ok || c.TeamID != team || res.Revision != 2 {
			t.Fatalf("cancel %+v at revision %d; want TeamID %s at revision 2", res.Events[0], res.Revision, team)
		}
		if f.racing.appendCount() != 3 {
			t.Fatalf("%d appends; want the place, the refused one on the stale cache and the one after reading", f.racing.appendCount())
		}
		if s := f.cmds.CacheStats(); s.Stale != 1 {
			t.Errorf("stats %+v; want one stale entry", s)
		}
	})

	t.Run("an append refused on the stored order", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		team := f.team("t1", 0, 2, domain.CategoryErrand)
		id := place(f).OrderID
		if _, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: team}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.other.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id}); err != nil {
			t.Fatal(err)
		}
		before := f.head()
		_, err := f.cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(teamMember(team)), OrderID: id})
		if !errors.Is(err, domain.ErrAlreadyCancelled) || errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			t.Fatalf("accept a cancelled order: %v; want the domain's ErrAlreadyCancelled", err)
		}
		if f.head() != before {
			t.Fatal("the refused accept appended")
		}
	})

	t.Run("a refusal decided on the cache is confirmed", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		team := f.team("t1", 0, 2, domain.CategoryErrand)
		id := place(f).OrderID // f.cmds caches it placed: no offer to accept
		f.offer(id, team)
		res, err := f.cmds.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(teamMember(team)), OrderID: id})
		if err != nil || res.Status != domain.StatusAccepted || res.Revision != 2 {
			t.Fatalf("accept an offer the cache does not know: %+v %v; want accepted at revision 2", res, err)
		}
		if f.racing.appendCount() != 2 { // place and accept: the stale refusal appended nothing
			t.Fatalf("%d appends; want 2", f.racing.appendCount())
		}
	})

	t.Run("a no-op decided on the cache is confirmed", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		a := f.team("ta", 0, 2, domain.CategoryErrand)
		b := f.team("tb", 0, 2, domain.CategoryErrand)
		id := place(f).OrderID
		if _, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: id, TeamID: a}); err != nil {
			t.Fatal(err)
		}
		second := f.offer(id, b) // reassigned: an offer f.cmds's cache does not know
		f.clock.Advance(ttl)
		res, err := f.cmds.ExpireOffer(ctx, app.ExpireOffer{Envelope: as(dispatcher), OrderID: id, OfferID: second.OfferID})
		if err != nil || len(res.Events) != 1 || res.Status != domain.StatusPlaced {
			t.Fatalf("expire the offer only the store knows: %+v %v; want one OfferExpired", res, err)
		}
		if got := types(f.stream(id)); got[len(got)-1] != domain.EventTypeOfferExpired {
			t.Fatalf("stream %v; want it to end with the expiry", got)
		}
	})

	t.Run("an If-Match mismatch on the cache is confirmed", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		team := f.team("t1", 0, 2, domain.CategoryErrand)
		id := place(f).OrderID
		f.offer(id, team) // revision 1, which the client saw
		res, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: app.Envelope{Actor: resident, IfMatch: app.Revision(1)}, OrderID: id})
		if err != nil || res.Revision != 2 {
			t.Fatalf("If-Match 1 with the order at revision 1 (cached at 0): %+v %v; want revision 2", res, err)
		}
		_, err = f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: app.Envelope{Actor: resident, IfMatch: app.Revision(1)}, OrderID: id})
		if !errors.Is(err, app.ErrPreconditionFailed) {
			t.Fatalf("If-Match 1 with the order at revision 2: %v; want ErrPreconditionFailed", err)
		}
	})

	t.Run("an unknown order cached nowhere is still unknown", func(t *testing.T) {
		f := newFixture(t, app.Config{})
		id := place(f).OrderID
		id[0] ^= 0xff
		_, err := f.cmds.CancelOrder(ctx, app.CancelOrder{Envelope: as(resident), OrderID: id})
		if !errors.Is(err, domain.ErrOrderNotFound) {
			t.Fatalf("cancel an order never placed: %v; want ErrOrderNotFound", err)
		}
	})
}

// TestCacheIdempotentRetry: with the cache on, a retry with the same key
// answers the first result — from the cache, after the order moved on
// behind its back, and when the first request went through another process.
//
// Both with a store whose Wrote is exact (the retry's append is absorbed and
// known to be a replay) and without (the retry reads the stream first).
func TestCacheIdempotentRetry(t *testing.T) {
	for _, exact := range []bool{true, false} {
		t.Run(fmt.Sprintf("exactWrote=%v", exact), func(t *testing.T) { testCacheIdempotentRetry(t, exact) })
	}
}

func testCacheIdempotentRetry(t *testing.T, exact bool) {
	ctx := context.Background()
	f := newFixtureWrote(t, app.Config{}, exact)
	a := f.team("ta", 0, 2, domain.CategoryErrand)
	b := f.team("tb", 0, 2, domain.CategoryErrand)
	id := f.order(domain.CategoryErrand, 0)
	f.offer(id, a)

	// A reassignment appends two events; the store reports only the last
	// one's position, and the retry must answer with it.
	keyed := app.DispatchOrder{Envelope: app.Envelope{Actor: coordinator, IdempotencyKey: "re-1"}, OrderID: id, TeamID: b}
	first, err := f.cmds.DispatchOrder(ctx, keyed)
	if err != nil || len(first.Events) != 2 || first.Replayed {
		t.Fatalf("reassign: %+v %v; want two events, not replayed", first, err)
	}
	recs := f.stream(id)
	if last := recs[len(recs)-1]; first.Position != last.Position || first.Revision != last.Revision {
		t.Fatalf("reassign answered revision %d position %d; stored %d at %d", first.Revision, first.Position, last.Revision, last.Position)
	}
	if _, err := f.other.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(teamMember(b)), OrderID: id}); err != nil {
		t.Fatal(err)
	}
	before := f.head()
	again, err := f.cmds.DispatchOrder(ctx, keyed)
	if err != nil || !again.Replayed || again.Revision != first.Revision || again.Position != first.Position ||
		again.OfferID != first.OfferID || again.Status != domain.StatusOffered {
		t.Fatalf("retry: %+v %v; want the first result %+v, replayed", again, err, first)
	}
	// The first request through the other process: this one's cache never
	// saw it, and still answers it as a replay.
	acc := app.AcceptOffer{Envelope: app.Envelope{Actor: teamMember(b), IdempotencyKey: "acc-1"}, OrderID: id}
	f2 := f.order(domain.CategoryErrand, 0)
	if _, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: f2, TeamID: b}); err != nil {
		t.Fatal(err)
	}
	acc.OrderID = f2
	byOther, err := f.other.AcceptOffer(ctx, acc)
	if err != nil {
		t.Fatal(err)
	}
	before = f.head()
	retry, err := f.cmds.AcceptOffer(ctx, acc)
	if err != nil || !retry.Replayed || retry.Revision != byOther.Revision || retry.Position != byOther.Position {
		t.Fatalf("retry of another process's accept: %+v %v; want revision %d replayed", retry, err, byOther.Revision)
	}
	if f.head() != before {
		t.Fatal("a retry appended")
	}
}

// TestCacheBound: the cache holds at most Config.CacheStreams streams, and
// a command on an evicted stream reads it again.
func TestCacheBound(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	team := f.team("t1", 0, 100, domain.CategoryErrand)
	cmds, rc := f.counted(app.Config{CacheStreams: 5})
	var ids []uuid.UUID
	for i := range 40 {
		res, err := cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: as(resident), Category: domain.CategoryErrand,
			Title: fmt.Sprintf("order %d", i), StationID: f.station(0).ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.OrderID)
		if s := cmds.CacheStats(); s.Streams > 5 || s.Limit != 5 {
			t.Fatalf("after %d orders: %+v; want at most 5 streams", i+1, s)
		}
	}
	s := cmds.CacheStats()
	if s.Streams != 5 || s.Evictions != 35 {
		t.Fatalf("stats %+v; want 5 streams kept and 35 evicted", s)
	}
	// The first order is long evicted: dispatching it reads it (and the team).
	reads := rc.reads.Load()
	if _, err := cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: as(coordinator), OrderID: ids[0], TeamID: team}); err != nil {
		t.Fatal(err)
	}
	if got := rc.reads.Load() - reads; got != 2 {
		t.Fatalf("%d reads for an evicted order; want 2 (the order and the named team)", got)
	}

	if _, err := app.New(app.Deps{Store: f.mem, Directory: f.dir}, app.Config{CacheStreams: -1}); err == nil {
		t.Fatal("a negative CacheStreams was accepted")
	}
}

// TestCacheConcurrentCommands: commands on one stream from many goroutines
// and two processes (each with its own cache) each take effect exactly
// once, and the cache ends with the stream as stored. Run with -race.
func TestCacheConcurrentCommands(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{Attempts: 100})
	f.team("t1", 0, 1, domain.CategoryErrand)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c := f.cmds
			if i%4 == 0 {
				c = f.other
			}
			// Each update sets a capacity no other sets, so none is a no-op.
			_, err := c.UpdateTeam(ctx, app.UpdateTeam{Envelope: as(coordinator), TeamID: "t1",
				Spec: domain.TeamSpec{Name: "队 t1", StationID: f.station(0).ID, Skills: []domain.Category{domain.CategoryErrand}, Capacity: 2 + i}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := f.mem.ReadStream(ctx, domain.TeamStream("t1"), eventstore.ReadStreamOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var caps []int
	for _, rec := range recs[1:] {
		e, err := domain.UnmarshalEvent(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, e.(domain.TeamUpdated).Capacity)
	}
	slices.Sort(caps)
	for i, c := range caps {
		if c != 2+i || len(caps) != n {
			t.Fatalf("capacities stored %v; want each of 2…%d once", caps, n+1)
		}
	}
	// A view through either cache is the stream as stored.
	for _, c := range []*app.Commands{f.cmds, f.other} {
		v, err := c.ViewStream(ctx, domain.TeamStream("t1"))
		if err != nil || v.Next() != uint64(len(recs)) || len(v.Events()) != len(recs) {
			t.Fatalf("view at %d (%v); the stream has %d events", v.Next(), err, len(recs))
		}
	}
}

// TestViewStream: a view is the stream as stored, read through the cache
// (only what it lacks, in one read), and tells who caused the events.
func TestViewStream(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, app.Config{})
	team := f.team("t1", 0, 2, domain.CategoryErrand)
	cmds, rc := f.counted(app.Config{})
	trigger := "0f0e0d0c-0000-4000-8000-000000000001"
	placed, err := cmds.PlaceOrder(ctx, app.PlaceOrder{Envelope: as(resident), Category: domain.CategoryErrand,
		Title: "取快递", StationID: f.station(0).ID})
	if err != nil {
		t.Fatal(err)
	}
	id := placed.OrderID
	if _, err := cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: app.Envelope{Actor: dispatcher, CausationID: trigger,
		IdempotencyKey: "trigger-" + trigger}, OrderID: id}); err != nil {
		t.Fatal(err)
	}
	reads := rc.reads.Load()
	stream := domain.OrderStream(id)
	v, err := cmds.ViewStream(ctx, stream)
	if err != nil || v.Next() != 2 || rc.reads.Load()-reads != 1 {
		t.Fatalf("view: next %d (%v) after %d reads; want 2 after one read", v.Next(), err, rc.reads.Load()-reads)
	}
	if !v.CausedBy(trigger, dispatcher) || v.CausedBy(trigger, coordinator) || v.CausedBy("other", dispatcher) {
		t.Fatal("CausedBy: want only the dispatcher's offer caused by the trigger")
	}
	// Another process accepts: the view has it.
	if _, err := f.other.AcceptOffer(ctx, app.AcceptOffer{Envelope: as(teamMember(team)), OrderID: id}); err != nil {
		t.Fatal(err)
	}
	v, err = cmds.ViewStream(ctx, stream)
	if err != nil || v.Next() != 3 {
		t.Fatalf("view after another process appended: next %d (%v); want 3", v.Next(), err)
	}
	o, err := domain.RehydrateOrder(v.Events())
	if err != nil || o.Status() != domain.StatusAccepted {
		t.Fatalf("order from the view: %v; want accepted", err)
	}
	if s := cmds.CacheStats(); s.Stale != 1 {
		t.Errorf("stats %+v; want the one stale entry counted", s)
	}
	// Read from the store, CausedBy still finds the trigger's offer.
	fresh, _ := f.counted(app.Config{})
	v, err = fresh.ViewStream(ctx, stream)
	if err != nil || !v.CausedBy(trigger, dispatcher) {
		t.Fatalf("view read from the store: caused by the trigger %v (%v)", v.CausedBy(trigger, dispatcher), err)
	}
	if v, err := fresh.ViewStream(ctx, domain.OrderStream(uuid.New())); err != nil || v.Next() != 0 || len(v.Events()) != 0 {
		t.Fatalf("view of a stream never written: next %d, %d events (%v); want none", v.Next(), len(v.Events()), err)
	}
}

// TestIdempotencyKeyRacedWithOtherParameters: another process stores the
// same key's command with other parameters between this one's decision and
// its append; the store absorbs this append, and the command must say it was
// not applied rather than answer with the other request's result.
func TestIdempotencyKeyRacedWithOtherParameters(t *testing.T) {
	for _, exact := range []bool{true, false} {
		t.Run(fmt.Sprintf("exactWrote=%v", exact), func(t *testing.T) {
			ctx := context.Background()
			f := newFixtureWrote(t, app.Config{}, exact)
			a := f.team("ta", 0, 2, domain.CategoryErrand)
			b := f.team("tb", 0, 2, domain.CategoryErrand)
			id := f.order(domain.CategoryErrand, 0)
			env := func(fp string) app.Envelope {
				return app.Envelope{Actor: coordinator, IdempotencyKey: "raced-1", Fingerprint: fp}
			}
			f.racing.race(func() {
				if _, err := f.other.DispatchOrder(ctx, app.DispatchOrder{Envelope: env("to-a"), OrderID: id, TeamID: a}); err != nil {
					t.Errorf("the other process's dispatch: %v", err)
				}
			})
			before := f.head()
			_, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: env("to-b"), OrderID: id, TeamID: b})
			if !errors.Is(err, app.ErrIdempotencyKeyReused) {
				t.Fatalf("dispatch to b absorbed by the stored dispatch to a: %v; want ErrIdempotencyKeyReused", err)
			}
			if got := f.head(); got != before+1 {
				t.Fatalf("head %d → %d; want only the other process's offer", before, got)
			}
			same, err := f.cmds.DispatchOrder(ctx, app.DispatchOrder{Envelope: env("to-a"), OrderID: id, TeamID: a})
			if err != nil || !same.Replayed || same.TeamID != a {
				t.Fatalf("the stored request's retry: %+v %v; want its result, replayed", same, err)
			}
		})
	}
}
