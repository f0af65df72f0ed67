package main

import (
	"math"
	"testing"
)

// TestSchedQuantileCountsOnlyTheSample: the quantiles come from what was
// counted between the two snapshots, as the upper bound of the bucket the
// rank falls in.
func TestSchedQuantileCountsOnlyTheSample(t *testing.T) {
	buckets := []float64{0, 0.001, 0.002, 0.004, math.Inf(1)}
	before := schedSnapshot{counts: []uint64{1000, 0, 0, 50}, buckets: buckets}
	// The sample adds 90 waits under 1 ms, 9 of 1–2 ms and 1 of 2–4 ms.
	after := schedSnapshot{counts: []uint64{1090, 9, 1, 50}, buckets: buckets}
	for _, c := range []struct {
		q    float64
		want float64
	}{{0.5, 1}, {0.9, 1}, {0.95, 2}, {0.99, 2}, {1, 4}} {
		if got := schedQuantileMs(before, after, c.q); got != c.want {
			t.Errorf("q %v: got %v ms, want %v (the 50 waits over 4 ms before the sample must not count)", c.q, got, c.want)
		}
	}
	if got := schedQuantileMs(after, after, 0.99); got != 0 {
		t.Errorf("nothing counted: got %v, want 0", got)
	}
	if got := schedQuantileMs(schedSnapshot{}, readSchedLatencies(), 0.5); got != 0 {
		t.Errorf("snapshots of different shapes: got %v, want 0", got)
	}
}
