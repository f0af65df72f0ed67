//go:build race

package simulate_test

// raceEnabled scales the full district run down under the race detector,
// which slows the write side about tenfold.
const raceEnabled = true
