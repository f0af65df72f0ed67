package main

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// gcTarget is the garbage collector's target (GOGC) for the server and for
// rebuilds, where the environment sets none.
//
// A rebuild keeps read-model rows in memory, a large live heap the default
// target (100) rescans over and over: at 1 M events GC was about a fifth of
// the CPU at 200; 400 cut the rebuild's CPU time from 16.3 to 12.9 s (one
// run each, light load) for about 40 % more peak memory (1.0 -> 1.4 GB RSS,
// generation included).
//
// The server allocates per request and per event, and at 100 the collector
// ran often over a small live heap: its background workers took 7.4 % of
// the CPU under bench e2e (3.9 % at 400; README has the command). With GOGC=400, bench e2e --rate 0 did 7 % more commands/s in one
// paired run and 23 % in another, for about twice the resident memory (about
// 200 -> 400 MB under that load).
const gcTarget = 400

// tuneGC applies gcTarget unless GOGC is set, and a soft memory limit of
// half the machine's memory unless GOMEMLIMIT is set (the collector then
// works harder instead of growing past it), and returns the target in force.
func tuneGC() int {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		if total := memTotal(); total > 0 {
			debug.SetMemoryLimit(total / 2)
		}
	}
	if v, ok := os.LookupEnv("GOGC"); ok {
		n, _ := strconv.Atoi(v)
		return n
	}
	debug.SetGCPercent(gcTarget)
	return gcTarget
}

// memTotal is the machine's memory in bytes from /proc/meminfo, 0 where
// there is none.
func memTotal() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
