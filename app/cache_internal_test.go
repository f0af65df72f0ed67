package app

import (
	"context"
	"fmt"
	"hash/maphash"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/memstore"
)

func streamOf(events int) loaded {
	var l loaded
	for i := range events {
		l.records = append(l.records, record{id: uuid.New(), revision: uint64(i), position: eventstore.Position(i + 1)})
		l.history = append(l.history, nil)
	}
	return l
}

// TestStreamCacheBound: the shards' limits add up to the bound, which no
// number of puts exceeds.
func TestStreamCacheBound(t *testing.T) {
	for _, limit := range []int{1, 5, 63, 64, 65, 1000} {
		c := newStreamCache(limit)
		sum := 0
		for i := range c.shards {
			sum += c.shards[i].limit
		}
		if sum != limit {
			t.Fatalf("limit %d: shard limits add up to %d", limit, sum)
		}
		for i := range 3 * limit {
			c.put(fmt.Sprintf("order-%d", i), streamOf(1))
			if n := c.len(); n > limit {
				t.Fatalf("limit %d: %d streams after %d puts", limit, n, i+1)
			}
		}
		// Streams hash unevenly to shards, so a shard may not be full yet.
		if n := c.len(); n < limit/2 || c.evictions.Load() != int64(3*limit-n) {
			t.Fatalf("limit %d: %d streams and %d evictions after %d puts", limit, n, c.evictions.Load(), 3*limit)
		}
	}
}

// TestStreamCacheClock: a stream read since the hand passed survives the
// next eviction; one not read goes.
func TestStreamCacheClock(t *testing.T) {
	c := &streamCache{seed: maphash.MakeSeed(), shards: []cacheShard{{limit: 3, index: map[string]int{}}}}
	for _, s := range []string{"a", "b", "c"} {
		c.put(s, streamOf(1))
	}
	if _, ok := c.get("a"); !ok {
		t.Fatal("a is missing")
	}
	c.put("d", streamOf(1)) // a gets a second chance; b goes
	for s, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok := c.get(s); ok != want {
			t.Errorf("%s cached: %v, want %v", s, ok, want)
		}
	}
}

// TestStreamCacheKeepsTheLonger: a shorter state never replaces a longer
// one (two commands finishing out of order), and drop forgets only a state
// no longer than the one found outdated.
func TestStreamCacheKeepsTheLonger(t *testing.T) {
	c := newStreamCache(10)
	long, short := streamOf(3), streamOf(2)
	c.put("s", long)
	c.put("s", short)
	if l, _ := c.get("s"); l.next() != 3 {
		t.Fatalf("cached next %d after a shorter put; want 3", l.next())
	}
	c.drop("s", 2) // outdated at 2: the cached 3 is newer and stays
	if _, ok := c.get("s"); !ok {
		t.Fatal("drop at 2 removed a stream cached at 3")
	}
	c.drop("s", 3)
	if _, ok := c.get("s"); ok {
		t.Fatal("drop at 3 kept the stream")
	}
	c.put("empty", loaded{})
	if _, ok := c.get("empty"); ok {
		t.Fatal("an empty stream was cached")
	}
	if l, _ := func() (loaded, bool) { c.put("s", long); return c.get("s") }(); cap(l.records) != len(l.records) || cap(l.history) != len(l.history) {
		t.Fatal("cached slices have room to append into")
	}
}

// internalFixture is Commands over a memstore with one team.
func internalFixture(t testing.TB, cfg Config) (*Commands, *memstore.Store, string) {
	t.Helper()
	mem, err := memstore.New(memstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	clock := ClockFunc(func() time.Time { return time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC) })
	c, err := New(Deps{Store: mem, Directory: domain.DemoDirectory(), Clock: clock}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := domain.DemoDirectory().Stations()[0].ID
	for _, team := range []string{"ta", "tb"} {
		if _, err := c.RegisterTeam(context.Background(), RegisterTeam{Envelope: Envelope{Actor: domain.Actor{Subject: "c", Role: domain.RoleCoordinator}},
			TeamID: team, Spec: domain.TeamSpec{Name: team, StationID: st, Skills: []domain.Category{domain.CategoryErrand}, Capacity: 100}}); err != nil {
			t.Fatal(err)
		}
	}
	return c, mem, st
}

// lifecycle runs an order through every command with an automatic and a
// manual offer (a two-event reassignment), as the e2e load does.
func lifecycle(t testing.TB, c *Commands, st string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	resident := domain.Actor{Subject: "resident-1", Role: domain.RoleResident}
	coordinator := domain.Actor{Subject: "c", Role: domain.RoleCoordinator}
	member := domain.Actor{Subject: "m", Role: domain.RoleTeam, TeamID: "tb"}
	o, err := c.PlaceOrder(ctx, PlaceOrder{Envelope: Envelope{Actor: resident}, Category: domain.CategoryErrand,
		Title: "取快递", Details: "到门口", StationID: st, Contact: "138-0000-0000"})
	if err != nil {
		t.Fatal(err)
	}
	trigger := uuid.New().String()
	steps := []func() error{
		func() error {
			_, err := c.DispatchOrder(ctx, DispatchOrder{Envelope: Envelope{Actor: domain.SystemActor("dispatcher"),
				CausationID: trigger, IdempotencyKey: "trigger-" + trigger}, OrderID: o.OrderID})
			return err
		},
		func() error {
			_, err := c.DispatchOrder(ctx, DispatchOrder{Envelope: Envelope{Actor: coordinator}, OrderID: o.OrderID, TeamID: "tb"})
			return err
		},
		func() error {
			_, err := c.AcceptOffer(ctx, AcceptOffer{Envelope: Envelope{Actor: member}, OrderID: o.OrderID})
			return err
		},
		func() error {
			_, err := c.CompleteOrder(ctx, CompleteOrder{Envelope: Envelope{Actor: member}, OrderID: o.OrderID, VolunteerHours: 2, Notes: "ok"})
			return err
		},
		func() error {
			_, err := c.RateOrder(ctx, RateOrder{Envelope: Envelope{Actor: resident}, OrderID: o.OrderID, Stars: 5, Comment: "好"})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
	return o.OrderID
}

// TestCachedEqualsStored: the cache keeps the events as the commands made
// them, not as decoded from the store; the next decision must not be able
// to tell the difference.
func TestCachedEqualsStored(t *testing.T) {
	c, _, st := internalFixture(t, Config{})
	id := lifecycle(t, c, st)
	stream := domain.OrderStream(id)
	cached, ok := c.cache.get(stream)
	if !ok {
		t.Fatal("the order is not cached")
	}
	stored, err := c.load(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cached.history, stored.history) {
		t.Fatalf("cached history\n%+v\ndiffers from the stored one\n%+v", cached.history, stored.history)
	}
	for i := range stored.records {
		s, k := stored.records[i], cached.records[i]
		if s.id != k.id || s.revision != k.revision || *s.cause != *k.cause ||
			(k.position != unknownPosition && k.position != s.position) {
			t.Fatalf("record %d cached as %+v (%+v), stored %+v (%+v)", i, k, *k.cause, s, *s.cause)
		}
	}
}

// TestReplayOfUnknownPosition: a retry whose answer ends at an event the
// cache has no position for reads the stream to give the stored one.
func TestReplayOfUnknownPosition(t *testing.T) {
	ctx := context.Background()
	c, mem, st := internalFixture(t, Config{})
	resident := domain.Actor{Subject: "resident-1", Role: domain.RoleResident}
	placed, err := c.PlaceOrder(ctx, PlaceOrder{Envelope: Envelope{Actor: resident}, Category: domain.CategoryErrand, Title: "x", StationID: st})
	if err != nil {
		t.Fatal(err)
	}
	stream := domain.OrderStream(placed.OrderID)
	cmd := CancelOrder{Envelope: Envelope{Actor: resident, IdempotencyKey: "k"}, OrderID: placed.OrderID}
	first, err := c.CancelOrder(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	// Forget every position the cache has, as after multi-event appends.
	l, _ := c.cache.get(stream)
	l.records = append([]record(nil), l.records...)
	for i := range l.records {
		l.records[i].position = unknownPosition
	}
	c.cache.drop(stream, l.next())
	c.cache.put(stream, l)
	again, err := c.CancelOrder(ctx, cmd)
	if err != nil || !again.Replayed || again.Position != first.Position {
		t.Fatalf("retry: %+v %v; want replayed at position %d", again, err, first.Position)
	}
	recs, _ := mem.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Limit: 10})
	if again.Position != recs[len(recs)-1].Position {
		t.Fatalf("retry answered position %d; stored %d", again.Position, recs[len(recs)-1].Position)
	}
}

// BenchmarkCacheMemory reports the heap one cached order stream holds
// after a whole lifecycle (what Config.CacheStreams documents).
func BenchmarkCacheMemory(b *testing.B) {
	c, mem, st := internalFixture(b, Config{CacheStreams: 1 << 20})
	n := 0
	for b.Loop() {
		lifecycle(b, c, st)
		n++
	}
	b.StopTimer()
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	c.cache = newStreamCache(1)
	runtime.GC()
	runtime.ReadMemStats(&without)
	runtime.KeepAlive(c)
	runtime.KeepAlive(mem)
	b.ReportMetric(float64(with.HeapAlloc-without.HeapAlloc)/float64(n), "B/stream")
}
