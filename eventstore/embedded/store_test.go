package embedded_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
)

func openStore(t *testing.T, path string, cfg embedded.Config) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path, cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func event(typ string) eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: typ, Data: []byte(`{"n":1}`), Metadata: []byte(`{}`)}
}

// holdWriter makes the writer wait, after taking the next request, until
// release is called, so tests can queue a batch deterministically; taken is
// closed when the writer holds that request.
func holdWriter(t *testing.T, s *embedded.Store) (taken <-chan struct{}, release func()) {
	t.Helper()
	gate := make(chan struct{})
	held := make(chan struct{})
	var once sync.Once
	first := true
	embedded.SetBeforeBatch(s, func() {
		if first {
			first = false
			close(held)
			<-gate
		}
	})
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return held, release
}

// waitQueued waits until n appends wait in the queue (the writer holds one
// more). It yields instead of sleeping: the condition is set by goroutines
// that are runnable.
func waitQueued(t *testing.T, s *embedded.Store, n int) {
	t.Helper()
	for embedded.QueueLen(s) < n {
		runtime.Gosched()
	}
}

type appendResult struct {
	res eventstore.AppendResult
	err error
}

// appendAsync starts an append and returns where its result will arrive.
func appendAsync(s *embedded.Store, stream string, exp eventstore.ExpectedRevision, evs ...eventstore.EventData) <-chan appendResult {
	ch := make(chan appendResult, 1)
	go func() {
		res, err := s.Append(context.Background(), stream, exp, evs...)
		ch <- appendResult{res, err}
	}()
	return ch
}

func TestGroupCommitSharesOneTransaction(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	taken, release := holdWriter(t, s)

	const appends = 50
	results := make([]<-chan appendResult, appends)
	results[0] = appendAsync(s, "group-0", eventstore.NoStream(), event("Happened"))
	<-taken
	for i := 1; i < appends; i++ {
		results[i] = appendAsync(s, fmt.Sprintf("group-%d", i), eventstore.NoStream(), event("Happened"))
	}
	waitQueued(t, s, appends-1)
	release()

	positions := map[eventstore.Position]bool{}
	for i, ch := range results {
		r := <-ch
		if r.err != nil {
			t.Fatalf("append %d: %v", i, r.err)
		}
		positions[r.res.Position] = true
	}
	if len(positions) != appends {
		t.Errorf("got %d distinct positions for %d appends, expected one each", len(positions), appends)
	}
	st := s.Stats()
	if st.Commits != 1 || st.Appends != appends || st.Events != appends {
		t.Errorf("Stats = %+v, expected 1 commit for %d appends of one event", st, appends)
	}
}

func TestGroupCommitUnderConcurrency(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	const writers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("writer-%d", w)
			for i := range each {
				if _, err := s.Append(context.Background(), stream, eventstore.ExpectNext(uint64(i)), event("Happened")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Appends != writers*each {
		t.Fatalf("Stats.Appends = %d, expected %d", st.Appends, writers*each)
	}
	// 32 writers each waiting for its commit: while one commit is being
	// synced the others queue, so commits must be shared.
	if st.Commits >= st.Appends {
		t.Errorf("Stats = %+v: %d commits for %d concurrent appends, expected fewer commits than appends", st, st.Commits, st.Appends)
	}
	t.Logf("%d appends in %d commits (%.1f per commit)", st.Appends, st.Commits, float64(st.Appends)/float64(st.Commits))
}

func TestFailingAppendDoesNotFailBatchMates(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	ctx := context.Background()
	if _, err := s.Append(ctx, "warm", eventstore.NoStream(), event("Happened")); err != nil {
		t.Fatal(err)
	}
	taken, release := holdWriter(t, s)

	first := event("Placed")
	type step struct {
		name     string
		stream   string
		expected eventstore.ExpectedRevision
		events   []eventstore.EventData
		wantErr  bool
		wantNext uint64
	}
	steps := []step{
		{"creates the stream", "order-1", eventstore.NoStream(), []eventstore.EventData{first}, false, 1},
		{"exact revision beyond the head", "order-1", eventstore.Exact(5), []eventstore.EventData{event("Offered")}, true, 0},
		{"no stream after a batch-mate created it", "order-1", eventstore.NoStream(), []eventstore.EventData{event("Placed")}, true, 0},
		{"other stream, any", "order-2", eventstore.Any(), []eventstore.EventData{event("Placed"), event("Offered")}, false, 2},
		{"retry of the first append in the same batch", "order-1", eventstore.NoStream(), []eventstore.EventData{first}, false, 1},
		{"exact after the batch-mate", "order-1", eventstore.Exact(0), []eventstore.EventData{event("Offered")}, false, 2},
		{"stream exists on a missing stream", "order-3", eventstore.StreamExists(), []eventstore.EventData{event("Placed")}, true, 0},
	}
	// The writer takes one request and waits; queue the steps in order behind it.
	blocker := appendAsync(s, "blocker", eventstore.NoStream(), event("Happened"))
	<-taken
	results := make([]<-chan appendResult, len(steps))
	for i, st := range steps {
		results[i] = appendAsync(s, st.stream, st.expected, st.events...)
		waitQueued(t, s, i+1)
	}
	release()
	if r := <-blocker; r.err != nil {
		t.Fatalf("blocker: %v", r.err)
	}
	for i, st := range steps {
		r := <-results[i]
		switch {
		case st.wantErr && !errors.Is(r.err, eventstore.ErrWrongExpectedRevision):
			t.Errorf("%s: got %+v, %v; expected a wrong expected revision", st.name, r.res, r.err)
		case !st.wantErr && r.err != nil:
			t.Errorf("%s: %v", st.name, r.err)
		case !st.wantErr && r.res.NextRevision != st.wantNext:
			t.Errorf("%s: NextRevision %d, expected %d", st.name, r.res.NextRevision, st.wantNext)
		}
	}
	if got := s.Stats().Commits; got != 2 {
		t.Errorf("%d commits, expected 2 (the warm-up and the one batch)", got)
	}
	evs, err := s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].ID != first.ID || evs[1].Type != "Offered" {
		t.Errorf("order-1 holds %d events (%+v), expected Placed then Offered", len(evs), evs)
	}
	if _, err := s.ReadStream(ctx, "order-3", eventstore.ReadStreamOptions{Limit: 10}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("order-3: got %v, expected ErrStreamNotFound: the failed append must write nothing", err)
	}
}

func TestReopenKeepsEventsAndHeads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	ctx := context.Background()
	s, err := embedded.Open(path, embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	placed := event("Placed")
	first, err := s.Append(ctx, "order-1", eventstore.NoStream(), placed, event("Offered"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "order-2", eventstore.NoStream(), event("Placed")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, path, embedded.Config{})
	var wrong *eventstore.WrongExpectedRevisionError
	if _, err := s.Append(ctx, "order-1", eventstore.Exact(0), event("Accepted")); !errors.As(err, &wrong) || wrong.ActualNext() != 2 {
		t.Fatalf("Exact(0) after reopen: got %v, expected a wrong expected revision with actual 1", err)
	}
	retry, err := s.Append(ctx, "order-1", eventstore.NoStream(), placed)
	if err != nil || retry.NextRevision != 1 || retry.Position != first.Position-1 {
		t.Fatalf("retry of the first event after reopen: got %+v, %v; expected revision 0's result (next 1, position %d)", retry, err, first.Position-1)
	}
	res, err := s.Append(ctx, "order-1", eventstore.Exact(1), event("Accepted"))
	if err != nil {
		t.Fatalf("Exact(1) after reopen: %v", err)
	}
	if res.NextRevision != 3 || res.Position != 4 {
		t.Errorf("after reopen: got %+v, expected next revision 3 at position 4", res)
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range all {
		if ev.Position != eventstore.Position(i+1) {
			t.Errorf("event %d has position %d, expected %d", i, ev.Position, i+1)
		}
	}
	if len(all) != 4 {
		t.Errorf("$all holds %d events, expected 4", len(all))
	}
}

func TestOpenVerifiesDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := openStore(t, path, embedded.Config{})

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode of the file = %q, %v; expected wal", mode, err)
	}

	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tests := []struct {
		name    string
		pragma  string
		wantErr bool
	}{
		{"full sync passes", "PRAGMA synchronous = FULL", false},
		{"normal sync is refused", "PRAGMA synchronous = NORMAL", true},
		{"off is refused", "PRAGMA synchronous = OFF", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := conn.ExecContext(ctx, tt.pragma); err != nil {
				t.Fatal(err)
			}
			err := embedded.VerifyPragmas(ctx, conn)
			if tt.wantErr != errors.Is(err, embedded.ErrNotDurable) {
				t.Errorf("VerifyPragmas after %q = %v, expected ErrNotDurable: %v", tt.pragma, err, tt.wantErr)
			}
		})
	}
	_ = s
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	busy := filepath.Join(dir, "busy.db")
	openStore(t, busy, embedded.Config{})

	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	tests := []struct {
		name   string
		path   string
		cfg    embedded.Config
		locked bool // the error is ErrLocked, which callers tell apart
	}{
		{"a file another store has open", busy, embedded.Config{}, true},
		{"a newer schema version", newer, embedded.Config{}, false},
		{"an empty path", "", embedded.Config{}, false},
		{"a negative batch size", filepath.Join(dir, "cfg.db"), embedded.Config{MaxBatchEvents: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := embedded.Open(tt.path, tt.cfg)
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open succeeded, expected an error")
			}
			if got := errors.Is(err, embedded.ErrLocked); got != tt.locked {
				t.Errorf("errors.Is(%v, ErrLocked) = %v, expected %v", err, got, tt.locked)
			}
			t.Log(err)
		})
	}
}

func TestClosedStore(t *testing.T) {
	s, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, "order-1", eventstore.NoStream(), event("Placed")); err != nil {
		t.Fatal(err)
	}
	sub, err := s.SubscribeAll(ctx, eventstore.SubscribeOptions{From: eventstore.End})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := sub.Recv(); err != nil || m.Kind != eventstore.CaughtUp {
		t.Fatalf("first message from End: %v, %v; expected caught-up", m.Kind, err)
	}
	recvErr := make(chan error, 1)
	go func() {
		_, err := sub.Recv()
		recvErr <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-recvErr; !errors.Is(err, eventstore.ErrSubscriptionDropped) {
		t.Errorf("blocked Recv after Close returned %v, expected ErrSubscriptionDropped", err)
	}
	calls := map[string]error{}
	_, calls["Append"] = s.Append(ctx, "order-1", eventstore.Any(), event("Placed"))
	_, calls["ReadStream"] = s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Limit: 1})
	_, calls["ReadAll"] = s.ReadAll(ctx, eventstore.ReadAllOptions{Limit: 1})
	_, calls["SubscribeAll"] = s.SubscribeAll(ctx, eventstore.SubscribeOptions{})
	for name, err := range calls {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close returned %v, expected ErrClosed", name, err)
		}
	}
}

// TestInsertFailureFailsOnlyItsAppend writes a row behind the store's back
// (as another program could), so that one append of a batch hits a unique
// constraint: that append fails, its batch-mate commits, and the store then
// trusts the file again.
func TestInsertFailureFailsOnlyItsAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	s := openStore(t, path, embedded.Config{})
	ctx := context.Background()
	if _, err := s.Append(ctx, "order-1", eventstore.NoStream(), event("Placed")); err != nil {
		t.Fatal(err)
	}
	foreign, err := sql.Open("sqlite", path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	id := uuid.New()
	if _, err := foreign.Exec(embedded.InsertSQL, 1000, "order-1", 1, id[:], "Foreign", []byte("{}"), []byte("{}"), 0); err != nil {
		t.Fatal(err)
	}

	taken, release := holdWriter(t, s)
	blocker := appendAsync(s, "blocker", eventstore.NoStream(), event("Happened"))
	<-taken
	clash := appendAsync(s, "order-1", eventstore.Any(), event("Offered"))
	waitQueued(t, s, 1)
	mate := appendAsync(s, "order-2", eventstore.NoStream(), event("Placed"))
	waitQueued(t, s, 2)
	release()

	if r := <-clash; r.err == nil || errors.Is(r.err, eventstore.ErrWrongExpectedRevision) {
		t.Errorf("the clashing append returned %+v, %v; expected an insert error", r.res, r.err)
	}
	for name, ch := range map[string]<-chan appendResult{"blocker": blocker, "batch-mate": mate} {
		if r := <-ch; r.err != nil {
			t.Errorf("%s failed with its batch-mate: %v", name, r.err)
		}
	}
	res, err := s.Append(ctx, "order-1", eventstore.Any(), event("Offered"))
	if err != nil {
		t.Fatalf("append after the failure: %v", err)
	}
	// The blocker and the batch-mate were retried after the failure, once
	// the store had reread the head of the log: positions 1001 and 1002.
	if res.NextRevision != 3 || res.Position != 1003 {
		t.Errorf("after the failure: got %+v, expected next revision 3 at position 1003 (after the foreign row and the retried batch)", res)
	}
}

// TestReadStreamWhileCreated reads a stream while it is being created: every
// read must either find the stream missing or return its events, never an
// existing stream without events (the read and the existence check must
// agree on one moment).
func TestReadStreamWhileCreated(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	ctx := context.Background()
	for i := range 100 {
		stream := fmt.Sprintf("order-%d", i)
		stop := make(chan struct{})
		reads := make(chan error, 1)
		go func() {
			for {
				evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: eventstore.StreamEnd, Direction: eventstore.Backwards, Limit: 1})
				switch {
				case err == nil && len(evs) == 0:
					reads <- fmt.Errorf("%s: no events and no error", stream)
					return
				case err != nil && !errors.Is(err, eventstore.ErrStreamNotFound):
					reads <- err
					return
				}
				select {
				case <-stop:
					reads <- nil
					return
				default:
				}
			}
		}()
		_, err := s.Append(ctx, stream, eventstore.NoStream(), event("Placed"))
		close(stop)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-reads; err != nil {
			t.Fatal(err)
		}
	}
}

// TestEvictedHeadsReload keeps only two stream heads in memory while
// appending to ten streams: evicted heads must come back from the file, so
// exact expectations keep passing and stale ones keep failing.
func TestEvictedHeadsReload(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{HeadCacheStreams: 2})
	ctx := context.Background()
	for round := range 5 {
		for i := range 10 {
			stream := fmt.Sprintf("order-%d", i)
			res, err := s.Append(ctx, stream, eventstore.ExpectNext(uint64(round)), event("Happened"))
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, stream, err)
			}
			if res.NextRevision != uint64(round+1) {
				t.Fatalf("round %d, %s: next revision %d, expected %d", round, stream, res.NextRevision, round+1)
			}
			if round > 0 {
				if _, err := s.Append(ctx, stream, eventstore.ExpectNext(uint64(round)), event("Happened")); !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
					t.Fatalf("round %d, %s: a stale expectation returned %v, expected a wrong expected revision", round, stream, err)
				}
			}
		}
	}
}

// TestCloseWhileReading closes the store under readers: Close waits for the
// reads in progress, and every read either succeeds or reports ErrClosed.
func TestCloseWhileReading(t *testing.T) {
	s, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Config{ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, "order-1", eventstore.NoStream(), event("Placed"), event("Offered")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	started := make(chan struct{})
	var once sync.Once
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				evs, err := s.ReadStream(ctx, "order-1", eventstore.ReadStreamOptions{Limit: 10})
				once.Do(func() { close(started) })
				switch {
				case errors.Is(err, eventstore.ErrClosed):
					return
				case err != nil:
					errs <- err
					return
				case len(evs) != 2:
					errs <- fmt.Errorf("read %d events, expected 2", len(evs))
					return
				}
			}
		})
	}
	<-started
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCancelledAppendWhileQueued cancels an append that waits behind a held
// writer: the caller gets its context's error at once, and the writer, which
// had not started it, writes nothing for it.
func TestCancelledAppendWhileQueued(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	taken, release := holdWriter(t, s)
	blocker := appendAsync(s, "blocker", eventstore.NoStream(), event("Happened"))
	<-taken

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "order-1", eventstore.NoStream(), event("Placed"))
		done <- err
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled append returned %v, expected context.Canceled", err)
	}
	release()
	if r := <-blocker; r.err != nil {
		t.Fatal(r.err)
	}
	// A later append goes through the writer after the abandoned one.
	if _, err := s.Append(context.Background(), "order-2", eventstore.NoStream(), event("Placed")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(context.Background(), "order-1", eventstore.ReadStreamOptions{Limit: 1}); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("order-1 after its append was abandoned in the queue: %v, expected ErrStreamNotFound", err)
	}
}

// ReadAll forwards at the log's tail is answered from memory (the ring the
// subscriptions read); the events are still the caller's to change.
func TestReadAllTailIsTheCallersCopy(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	data := []byte(`{"n":1}`)
	res, err := s.Append(ctx, "tail-1", eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "T", Data: data, Metadata: []byte(`{"m":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	read := func() eventstore.RecordedEvent {
		t.Helper()
		evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: res.Position, Limit: 10})
		if err != nil || len(evs) != 1 {
			t.Fatalf("ReadAll from %d: %v, %d events; expected the one appended", res.Position, err, len(evs))
		}
		return evs[0]
	}
	first := read()
	first.Data[0], first.Metadata[0] = 'X', 'X'
	_ = append(first.Data[:1], "overwritten"...)
	if again := read(); string(again.Data) != string(data) || string(again.Metadata) != `{"m":1}` {
		t.Fatalf("a caller's change reached the store: read %q / %q", again.Data, again.Metadata)
	}
	if evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: res.Position + 1, Limit: 10}); err != nil || len(evs) != 0 {
		t.Fatalf("ReadAll past the head: %v, %d events; expected none", err, len(evs))
	}
}
