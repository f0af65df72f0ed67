package embedded_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
)

// The crash test runs a child process (this test binary, re-executed with
// crashChildEnv set) that appends under load and reports on stdout:
//
//	TRY {…}   before calling Append: the stream and the event IDs proposed
//	ACK {…}   as soon as Append returned success: the result
//	NAK {…}   Append failed with a wrong expected revision (nothing written)
//	BAD …     the child saw something wrong (the parent fails the test)
//
// The parent SIGKILLs it at a random moment, reopens the file and checks the
// durability promise against what was acknowledged.
const (
	crashChildEnv   = "PAIDAN_CRASH_CHILD"
	crashKillsEnv   = "PAIDAN_CRASH_KILLS"
	crashWriters    = 6
	crashMaxPerKill = 300
)

type crashLine struct {
	Writer int      `json:"w"`
	Stream string   `json:"s"`
	IDs    []string `json:"ids"`
	Next   uint64   `json:"n,omitempty"`
	Pos    uint64   `json:"p,omitempty"`
}

// TestCrashChild is the child's body; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestCrash")
	}
	var outMu sync.Mutex
	say := func(kind string, line any) {
		b, _ := json.Marshal(line)
		outMu.Lock()
		defer outMu.Unlock()
		// One write per line, so a kill never leaves half a line behind a
		// whole one.
		_, _ = os.Stdout.Write(fmt.Appendf(nil, "%s %s\n", kind, b))
	}
	s, err := embedded.Open(filepath.Join(dir, "events.db"), embedded.Config{})
	if err != nil {
		say("BAD", err.Error())
		os.Exit(2)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() { crashWriter(ctx, s, w, say) })
	}
	wg.Wait() // never: the parent kills the process
}

// headOf reads a stream's next revision from the store.
func headOf(ctx context.Context, s eventstore.Store, stream string) (uint64, error) {
	evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: eventstore.StreamEnd, Direction: eventstore.Backwards, Limit: 1})
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return evs[0].Revision + 1, nil
}

func crashWriter(ctx context.Context, s eventstore.Store, w int, say func(string, any)) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
	type sent struct {
		stream string
		exp    eventstore.ExpectedRevision
		events []eventstore.EventData
		res    eventstore.AppendResult
	}
	var last *sent
	for {
		// Now and then retry the last acknowledged append: it must write
		// nothing and repeat its result.
		if last != nil && rng.IntN(10) == 0 {
			res, err := s.Append(ctx, last.stream, last.exp, last.events...)
			if err != nil || res.NextRevision != last.res.NextRevision || res.Position != last.res.Position || res.Wrote {
				say("BAD", fmt.Sprintf("retry of %s's append %v: got %+v, %v; expected %+v", last.stream, last.exp, res, err, last.res))
			}
			continue
		}
		var stream string
		var exp eventstore.ExpectedRevision
		if rng.IntN(2) == 0 {
			// Streams only this writer appends to, under exact expectations.
			stream = fmt.Sprintf("own-%d-%d", w, rng.IntN(5))
			next, err := headOf(ctx, s, stream)
			if err != nil {
				say("BAD", err.Error())
				return
			}
			exp = eventstore.ExpectNext(next)
		} else {
			// Streams every writer appends to: any, or a racy exact check.
			stream = fmt.Sprintf("shared-%d", rng.IntN(4))
			exp = eventstore.Any()
			if rng.IntN(2) == 0 {
				next, err := headOf(ctx, s, stream)
				if err != nil {
					say("BAD", err.Error())
					return
				}
				exp = eventstore.ExpectNext(next)
			}
		}
		events := make([]eventstore.EventData, 1+rng.IntN(4))
		line := crashLine{Writer: w, Stream: stream}
		for i := range events {
			id := uuid.New()
			events[i] = eventstore.EventData{ID: id, Type: "Crashed", Data: fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i)}
			line.IDs = append(line.IDs, id.String())
		}
		say("TRY", line)
		res, err := s.Append(ctx, stream, exp, events...)
		switch {
		case errors.Is(err, eventstore.ErrWrongExpectedRevision):
			say("NAK", line)
			continue
		case err != nil:
			say("BAD", fmt.Sprintf("append to %s: %v", stream, err))
			return
		}
		line.Next, line.Pos = res.NextRevision, uint64(res.Position)
		say("ACK", line)
		last = &sent{stream: stream, exp: exp, events: events, res: res}
	}
}

// crashLedger is what the parent knows about every append any child tried.
type crashLedger struct {
	acked    map[string]crashLine // first ID → acknowledged append
	inFlight map[string]crashLine // first ID → tried, outcome unknown
	absent   map[string]bool      // every ID that must never appear
}

func TestCrash(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("this is the child")
	}
	kills := 20
	if v := os.Getenv(crashKillsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: expected a positive number", crashKillsEnv, v)
		}
		kills = n
	}
	dir := t.TempDir()
	ledger := &crashLedger{acked: map[string]crashLine{}, inFlight: map[string]crashLine{}, absent: map[string]bool{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	start := time.Now()
	for i := range kills {
		// Mostly kill under load after a random number of acks; now and then
		// kill a random few milliseconds after start, while the child may
		// still be opening (recovering) the file.
		acks := 1 + rng.IntN(crashMaxPerKill)
		var early time.Duration
		if rng.IntN(5) == 0 {
			acks, early = 0, time.Duration(rng.IntN(40))*time.Millisecond
		}
		runCrashChild(t, dir, acks, early, ledger)
		unacked := verifyCrash(t, dir, ledger)
		if t.Failed() {
			t.Fatalf("kill %d of %d: the store broke its promise (see above)", i+1, kills)
		}
		when := fmt.Sprintf("after %d acks", acks)
		if acks == 0 {
			when = fmt.Sprintf("%v after start", early)
		}
		t.Logf("kill %d/%d %s: %d appends acknowledged in all, %d in-flight appends found committed; %s elapsed",
			i+1, kills, when, len(ledger.acked), unacked, time.Since(start).Round(time.Millisecond))
	}
}

// runCrashChild runs one child until it has acknowledged acks appends (or,
// with acks 0, for early), then kills it with SIGKILL and records every line
// it wrote.
func runCrashChild(t *testing.T, dir string, acks int, early time.Duration, ledger *crashLedger) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var killed atomic.Bool
	kill := func() {
		if killed.CompareAndSwap(false, true) {
			_ = cmd.Process.Kill()
		}
	}
	if acks == 0 {
		defer time.AfterFunc(early, kill).Stop()
	}
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	seen := 0
	for {
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-timeout.C:
			kill()
			t.Fatalf("the child acknowledged %d of %d appends within 60s; stderr:\n%s", seen, acks, stderr.String())
		}
		if !ok {
			break
		}
		kind, body, _ := strings.Cut(line, " ")
		var l crashLine
		switch kind {
		case "TRY", "ACK", "NAK":
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatalf("child line %q: %v", line, err)
			}
		case "BAD":
			kill()
			t.Errorf("child: %s", body)
			continue
		default:
			continue
		}
		switch kind {
		case "TRY":
			ledger.inFlight[l.IDs[0]] = l
		case "NAK":
			delete(ledger.inFlight, l.IDs[0])
			for _, id := range l.IDs {
				ledger.absent[id] = true
			}
		case "ACK":
			delete(ledger.inFlight, l.IDs[0])
			ledger.acked[l.IDs[0]] = l
			seen++
			if seen == acks {
				kill()
			}
		}
	}
	err = cmd.Wait()
	if !killed.Load() {
		t.Fatalf("the child ended by itself (%v) after %d acks; stderr:\n%s", err, seen, stderr.String())
	}
}

// verifyCrash reopens the store and checks it against the ledger. It resolves
// in-flight appends (present: now acknowledged; absent: must stay absent) and
// returns how many of them were found committed.
func verifyCrash(t *testing.T, dir string, ledger *crashLedger) int {
	t.Helper()
	s, err := embedded.Open(filepath.Join(dir, "events.db"), embedded.Config{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	ctx := context.Background()

	type stored struct {
		stream string
		rev    uint64
		pos    eventstore.Position
	}
	byID := map[string]stored{}
	nextRev := map[string]uint64{}
	var pos eventstore.Position = 1
	for {
		evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: pos, Limit: 1000})
		if err != nil {
			t.Fatalf("read $all from %d: %v", pos, err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Position != pos {
				t.Fatalf("$all has position %d where %d was expected: a gap", ev.Position, pos)
			}
			if ev.Revision != nextRev[ev.StreamID] {
				t.Fatalf("stream %s has revision %d at position %d, expected %d: a gap or a duplicate", ev.StreamID, ev.Revision, ev.Position, nextRev[ev.StreamID])
			}
			nextRev[ev.StreamID]++
			id := uuid.UUID(ev.ID).String()
			if prev, dup := byID[id]; dup {
				t.Fatalf("event %s is stored twice: at %d and %d", id, prev.pos, ev.Position)
			}
			if ledger.absent[id] {
				t.Fatalf("event %s at position %d belongs to an append that failed or was found missing earlier", id, ev.Position)
			}
			byID[id] = stored{ev.StreamID, ev.Revision, ev.Position}
			pos++
		}
	}

	known := 0
	for _, a := range ledger.acked {
		for j, id := range a.IDs {
			got, ok := byID[id]
			wantRev := a.Next - uint64(len(a.IDs)) + uint64(j)
			wantPos := eventstore.Position(a.Pos) - eventstore.Position(len(a.IDs)-1-j)
			if !ok || got.stream != a.Stream || got.rev != wantRev || got.pos != wantPos {
				t.Errorf("acknowledged event %s (%s rev %d pos %d) is stored as %+v (present: %v)", id, a.Stream, wantRev, wantPos, got, ok)
			}
		}
		known += len(a.IDs)
	}

	unacked := 0
	for first, a := range ledger.inFlight {
		delete(ledger.inFlight, first)
		present := 0
		for _, id := range a.IDs {
			if _, ok := byID[id]; ok {
				present++
			}
		}
		switch present {
		case 0:
			for _, id := range a.IDs {
				ledger.absent[id] = true
			}
			continue
		case len(a.IDs):
		default:
			t.Errorf("in-flight append to %s is torn: %d of its %d events are stored", a.Stream, present, len(a.IDs))
			continue
		}
		head := byID[a.IDs[0]]
		for j, id := range a.IDs {
			got := byID[id]
			if got.stream != a.Stream || got.rev != head.rev+uint64(j) || got.pos != head.pos+eventstore.Position(j) {
				t.Errorf("in-flight append to %s is not contiguous: event %d stored as %+v", a.Stream, j, got)
			}
		}
		last := byID[a.IDs[len(a.IDs)-1]]
		a.Next, a.Pos = last.rev+1, uint64(last.pos)
		ledger.acked[first] = a
		known += len(a.IDs)
		unacked++
	}
	if unacked > crashWriters {
		t.Errorf("%d unacknowledged appends are stored, but at most %d (one per writer) can have been in flight", unacked, crashWriters)
	}
	if known != len(byID) {
		t.Errorf("the store holds %d events, but only %d belong to appends the children tried", len(byID), known)
	}
	return unacked
}
