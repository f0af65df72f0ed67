package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/app"
)

// streamCacheCollectors expose the write side's stream cache, read at
// each scrape: how full it is, and how often commands found their stream
// in it, found it outdated, or had to read it.
func streamCacheCollectors(cmds *app.Commands) []prometheus.Collector {
	stat := func(f func(app.CacheStats) float64) func() float64 {
		return func() float64 { return f(cmds.CacheStats()) }
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paidan_stream_cache_streams",
			Help: "Streams the write side holds in memory between commands (PAIDAN_CACHE_STREAMS bounds them)."},
			stat(func(s app.CacheStats) float64 { return float64(s.Streams) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "paidan_stream_cache_hits_total",
			Help: "Lookups of a stream by a command that found it in the cache."},
			stat(func(s app.CacheStats) float64 { return float64(s.Hits) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "paidan_stream_cache_misses_total",
			Help: "Lookups of a stream by a command that read it from the store."},
			stat(func(s app.CacheStats) float64 { return float64(s.Misses) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "paidan_stream_cache_stale_total",
			Help: "Cached streams found outdated (another writer appended); each cost a read of what the cache lacked."},
			stat(func(s app.CacheStats) float64 { return float64(s.Stale) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "paidan_stream_cache_evictions_total",
			Help: "Streams forgotten to stay within the cache's bound."},
			stat(func(s app.CacheStats) float64 { return float64(s.Evictions) })),
	}
}
