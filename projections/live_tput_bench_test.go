package projections_test

import (
	"iter"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/projections"
	"github.com/paidan/paidan/projections/projtest"
)

// BenchmarkLiveThroughput feeds every read model live (batches linger 2 ms,
// as under serve) with generated lifecycles of 1,871 teams appended at
// a steady pace, and reports what each event costs the process: CPU time,
// bytes written and write system calls (from /proc/self/io, so Linux only).
// It is the projections' share of the end-to-end benchmark without HTTP or
// the dispatcher; set PAIDAN_BENCH_ONLY=orders,queue to run some models.
func BenchmarkLiveThroughput(b *testing.B) {
	const rate = 5000 // appends per second
	defs := projections.Definitions()
	if only := os.Getenv("PAIDAN_BENCH_ONLY"); only != "" {
		var kept []projections.Definition
		for _, d := range defs {
			for _, n := range strings.Split(only, ",") {
				if d.Name == n {
					kept = append(kept, d)
				}
			}
		}
		defs = kept
	}
	ctx, s, p := startLive(b, projections.PipelineConfig{Projections: defs, LiveLinger: 2 * time.Millisecond})
	next, stop := iter.Pull(projtest.Generate(projtest.Config{Seed: 7, Orders: 1 << 30, Teams: 1871, Interleave: 32}))
	defer stop()
	// The teams first, and a warm-up, outside the measurement.
	var last eventstore.Position
	appendOne := func() int {
		a, _ := next()
		res, err := s.Append(ctx, a.Stream, eventstore.Any(), a.Events...)
		if err != nil {
			b.Fatal(err)
		}
		last = res.Position
		return len(a.Events)
	}
	for range 1871 + 20_000 {
		appendOne()
	}
	if err := p.WaitFor(ctx, last); err != nil {
		b.Fatal(err)
	}
	cpu0, io0 := cpuTime(b), procIO(b)
	start := time.Now()
	events := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ahead := time.Until(start.Add(time.Duration(i) * time.Second / rate)); ahead > 0 {
			time.Sleep(ahead)
		}
		events += appendOne()
	}
	if err := p.WaitFor(ctx, last); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	elapsed, cpu, io := time.Since(start), cpuTime(b)-cpu0, procIO(b)
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(events), "cpu-us/event")
	b.ReportMetric(float64(io["write_bytes"]-io0["write_bytes"])/float64(events), "wbytes/event")
	b.ReportMetric(float64(io["syscw"]-io0["syscw"])/float64(events), "syscw/event")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func procIO(b *testing.B) map[string]int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Skipf("no /proc/self/io: %v", err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(data), "\n") {
		k, val, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(val, 10, 64)
		out[k] = n
	}
	return out
}
