package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/app"
)

// streamCacheCollectors expose the write side's stream cache, read at
// each scrape: how full it is, and how often commands found their stream
// in it, found it outdated, or had to read it.
func streamCacheCollectors(cmds *app.Commands) []prometheus.Collector {
	value := func(f func(app.CacheStats) int64) func() float64 {
		return func() float64 { return float64(f(cmds.CacheStats())) }
	}
	counter := func(name, help string, f func(app.CacheStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, value(f))
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "paidan_stream_cache_streams",
			Help: "Streams the write side holds in memory between commands (PAIDAN_CACHE_STREAMS bounds them)."},
			value(func(s app.CacheStats) int64 { return int64(s.Streams) })),
		counter("paidan_stream_cache_hits_total", "Lookups of a stream by a command that found it in the cache.",
			func(s app.CacheStats) int64 { return s.Hits }),
		counter("paidan_stream_cache_misses_total", "Lookups of a stream by a command that read it from the store.",
			func(s app.CacheStats) int64 { return s.Misses }),
		counter("paidan_stream_cache_stale_total", "Cached streams found outdated (another writer appended); each cost a read of what the cache lacked.",
			func(s app.CacheStats) int64 { return s.Stale }),
		counter("paidan_stream_cache_evictions_total", "Streams forgotten to stay within the cache's bound.",
			func(s app.CacheStats) int64 { return s.Evictions }),
	}
}
