package app

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// maxCacheShards bounds how many independently locked parts the stream cache
// has: enough that concurrent commands on different streams rarely wait for
// each other, few enough that a small bound still splits evenly.
const maxCacheShards = 64

// streamCache keeps streams as commands last saw them, so the next command
// on a stream need not read it again (see the package documentation for why
// a stale entry is harmless). It holds at most a fixed number of streams,
// evicting with the CLOCK algorithm: an entry used since the hand last
// passed gets a second chance, which keeps the streams of orders in their
// lifecycle and lets finished ones go.
//
// Entries are immutable: a stream that grew is stored as a new loaded whose
// slices are clipped (cap == len), so whoever appends to a slice taken from
// the cache copies it and no two goroutines ever write one backing array.
// It is safe for concurrent use.
type streamCache struct {
	seed   maphash.Seed
	shards []cacheShard

	hits, misses, stale, evictions atomic.Int64
}

type cacheShard struct {
	mu    sync.Mutex
	limit int            // streams this shard may hold
	index map[string]int // stream → its slot in ring
	ring  []cacheSlot
	hand  int // the next slot the clock considers for eviction
}

type cacheSlot struct {
	stream string
	l      loaded
	used   bool // read since the hand last passed
}

// newStreamCache returns a cache of at most limit streams (limit ≥ 1).
func newStreamCache(limit int) *streamCache {
	n := min(limit, maxCacheShards)
	c := &streamCache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n)}
	for i := range c.shards {
		// The remainder goes to the first shards, so the limits add up to
		// limit exactly.
		l := limit / n
		if i < limit%n {
			l++
		}
		c.shards[i] = cacheShard{limit: l, index: make(map[string]int)}
	}
	return c
}

func (c *streamCache) shard(stream string) *cacheShard {
	return &c.shards[maphash.String(c.seed, stream)%uint64(len(c.shards))]
}

// get returns the stream as last stored, not confirmed against the store.
func (c *streamCache) get(stream string) (loaded, bool) {
	s := c.shard(stream)
	s.mu.Lock()
	i, ok := s.index[stream]
	var l loaded
	if ok {
		s.ring[i].used = true
		l = s.ring[i].l
	}
	s.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return loaded{}, false
	}
	c.hits.Add(1)
	return l, true
}

// put stores l as stream's state unless the cache already holds a longer
// one: events never change, so the longer of two reads of a stream is the
// more recent (two commands finishing out of order must not leave the
// older state behind). An empty stream is not kept.
func (c *streamCache) put(stream string, l loaded) {
	if len(l.records) == 0 {
		return
	}
	l = loaded{records: clip(l.records), history: clip(l.history)}
	s := c.shard(stream)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.index[stream]; ok {
		if s.ring[i].l.next() <= l.next() {
			s.ring[i].l = l
		}
		return
	}
	if len(s.ring) < s.limit {
		s.index[stream] = len(s.ring)
		s.ring = append(s.ring, cacheSlot{stream: stream, l: l})
		return
	}
	for s.ring[s.hand].used {
		s.ring[s.hand].used = false
		s.hand = (s.hand + 1) % len(s.ring)
	}
	delete(s.index, s.ring[s.hand].stream)
	s.index[stream] = s.hand
	s.ring[s.hand] = cacheSlot{stream: stream, l: l}
	s.hand = (s.hand + 1) % len(s.ring)
	c.evictions.Add(1)
}

// drop forgets stream if the cache holds it at next or before: the caller
// found that state outdated. A longer state stored meanwhile by another
// command is kept.
func (c *streamCache) drop(stream string, next uint64) {
	s := c.shard(stream)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[stream]
	if !ok || s.ring[i].l.next() > next {
		return
	}
	last := len(s.ring) - 1
	if i != last {
		s.ring[i] = s.ring[last]
		s.index[s.ring[i].stream] = i
	}
	s.ring[last] = cacheSlot{}
	s.ring = s.ring[:last]
	delete(s.index, stream)
	if s.hand >= len(s.ring) {
		s.hand = 0
	}
}

// len is how many streams the cache holds.
func (c *streamCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.ring)
		s.mu.Unlock()
	}
	return n
}

// clip returns s with its capacity cut to its length, so an append to it
// copies instead of writing into an array others read.
func clip[T any](s []T) []T { return s[:len(s):len(s)] }

// CacheStats counts what the stream cache did since the Commands were built.
type CacheStats struct {
	// Streams is how many streams it holds now; Limit how many it may.
	Streams, Limit int
	// Hits and Misses count lookups of a stream by a command or a view.
	Hits, Misses int64
	// Stale counts cached states found outdated: another writer (another
	// process, or a command that bypassed this cache) had appended to the
	// stream. Each cost a read of the events the cache lacked.
	Stale int64
	// Evictions counts streams forgotten to stay within Limit.
	Evictions int64
}

// CacheStats returns the stream cache's counters; all zero when the cache
// is off (Config.NoCache).
func (c *Commands) CacheStats() CacheStats {
	if c.cache == nil {
		return CacheStats{}
	}
	return CacheStats{
		Streams: c.cache.len(), Limit: c.cfg.CacheStreams,
		Hits: c.cache.hits.Load(), Misses: c.cache.misses.Load(),
		Stale: c.cache.stale.Load(), Evictions: c.cache.evictions.Load(),
	}
}
