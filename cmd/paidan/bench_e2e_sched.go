package main

import (
	"math"
	"runtime/metrics"
)

// schedLatencyMetric is the Go runtime's histogram of the time goroutines
// spent runnable, waiting for a core, before they ran.
const schedLatencyMetric = "/sched/latencies:seconds"

// schedSnapshot is that histogram at one moment (process-wide: the server
// runs in the benchmark's process).
type schedSnapshot struct {
	counts  []uint64
	buckets []float64
}

func readSchedLatencies() schedSnapshot {
	s := []metrics.Sample{{Name: schedLatencyMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return schedSnapshot{}
	}
	h := s[0].Value.Float64Histogram()
	return schedSnapshot{counts: append([]uint64(nil), h.Counts...), buckets: append([]float64(nil), h.Buckets...)}
}

// schedQuantileMs is the q-quantile, in milliseconds, of the waits counted
// between before and after: the upper bound of the bucket it falls in (the
// runtime splits each power of two into four buckets, so the bound overstates
// by at most a quarter; every wait under 512 ns falls in the first bucket,
// whose bound is shown). 0 when nothing was counted.
func schedQuantileMs(before, after schedSnapshot, q float64) float64 {
	if len(after.counts) == 0 || len(before.counts) != len(after.counts) {
		return 0
	}
	var total uint64
	delta := make([]uint64, len(after.counts))
	for i := range after.counts {
		delta[i] = after.counts[i] - before.counts[i]
		total += delta[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range delta {
		seen += c
		if seen >= rank {
			upper := after.buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = after.buckets[i]
			}
			return upper * 1000
		}
	}
	return 0
}
