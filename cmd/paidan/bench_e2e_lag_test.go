package main

import (
	"math"
	"testing"
)

// TestLagQuantile: quantiles of the events between two scrapes, interpolated
// inside the bucket that holds them.
func TestLagQuantile(t *testing.T) {
	before := []lagBucket{{0.001, 10}, {0.002, 10}, {0.01, 10}, {math.Inf(1), 10}}
	// 100 more events: 50 under 1 ms, 40 in (1, 2] ms, 9 in (2, 10] ms, 1 beyond.
	after := []lagBucket{{0.001, 60}, {0.002, 100}, {0.01, 109}, {math.Inf(1), 110}}
	for _, tc := range []struct{ q, want float64 }{
		{0.5, 1},    // the 50th event closes the first bucket
		{0.7, 1.5},  // 20 of the 40 in (1, 2]
		{0.99, 10},  // the 99th is the last of (2, 10]
		{0.995, 10}, // beyond the last bound: the bound
		{0.25, 0.5}, // 25 of 50 in (0, 1]
	} {
		got, n := lagQuantile(before, after, tc.q)
		if n != 100 || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("q %.3f: %.4f ms over %v events, want %.4f over 100", tc.q, got, n, tc.want)
		}
	}
	if got, n := lagQuantile(after, after, 0.99); n != 0 || got != 0 {
		t.Errorf("no events between the scrapes: %v over %v, want 0 over 0", got, n)
	}
}
