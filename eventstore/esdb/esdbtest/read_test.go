package esdbtest_test

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// Check 18: a never-written stream reads as ResourceNotFound once, then EOF.
func TestCheck18ReadMissingStream(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	rs, err := c.ReadStream(ctx(t), streamName(t), esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	defer rs.Close()
	_, err = rs.Recv()
	wantCode(t, err, esdb.ErrorCodeResourceNotFound)
	if _, err := rs.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("expected io.EOF after not found, found %v", err)
	}
}

// Checks 19 and 20: forwards reads from a revision, past the end, and
// backwards reads from the end.
func TestCheck19and20ReadStreamRanges(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(5)...)
	for _, tc := range []struct {
		name  string
		opts  esdb.ReadStreamOptions
		count uint64
		want  []uint64
	}{
		{"check 19 from 1 count 3", esdb.ReadStreamOptions{From: esdb.Revision(1)}, 3, []uint64{1, 2, 3}},
		{"check 19 from 3 count 10", esdb.ReadStreamOptions{From: esdb.Revision(3)}, 10, []uint64{3, 4}},
		{"check 19 beyond the end", esdb.ReadStreamOptions{From: esdb.Revision(5)}, 10, []uint64{}},
		{"check 20 backwards from end", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 2, []uint64{4, 3}},
		{"backwards from 2", esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.Revision(2)}, 10, []uint64{2, 1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := readStream(t, c, stream, tc.opts, tc.count)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if got := revisions(evs); !slices.Equal(got, tc.want) {
				t.Fatalf("expected revisions %v, found %v", tc.want, got)
			}
		})
	}
}

// Check 21: $all forwards holds the test's events in append order with
// strictly increasing positions, commit == prepare; system events exist and
// are ignored.
func TestCheck21ReadAllForwards(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	a, b := streamName(t), streamName(t)
	appendOK(t, c, a, esdb.NoStream{}, events(2)...)
	appendOK(t, c, b, esdb.NoStream{}, events(1)...)
	appendOK(t, c, a, esdb.Revision(1), events(1)...)
	all := readAll(t, c, esdb.ReadAllOptions{}, 1000)
	if len(userEvents(all)) == len(all) {
		t.Fatal("expected the log to hold a system event as a real database does, found none")
	}
	mine := userEvents(all)
	want := []string{a + "@0", a + "@1", b + "@0", a + "@2"}
	var got []string
	var last uint64
	for _, ev := range mine {
		got = append(got, ev.StreamID+"@"+strconv.FormatUint(ev.EventNumber, 10))
		if ev.Position.Commit != ev.Position.Prepare || ev.Position.Commit <= last {
			t.Fatalf("expected strictly increasing positions with commit == prepare, found %+v after %d", ev.Position, last)
		}
		last = ev.Position.Commit
	}
	if !slices.Equal(got, want) {
		t.Fatalf("expected %v, found %v", want, got)
	}
}

// Check 22: from an event's position forwards includes it; backwards
// excludes it.
func TestCheck22ReadAllFromPosition(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(3)...)
	evs, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	p := evs[1].Position
	fw := readAll(t, c, esdb.ReadAllOptions{From: p}, 1)
	if len(fw) != 1 || fw[0].EventID != evs[1].EventID {
		t.Fatalf("expected forwards from %d to start with revision 1, found %v", p.Commit, revisions(fw))
	}
	bw := readAll(t, c, esdb.ReadAllOptions{From: p, Direction: esdb.Backwards}, 1)
	if len(bw) != 1 || bw[0].EventID != evs[0].EventID {
		t.Fatalf("expected backwards from %d to start with revision 0, found %v", p.Commit, revisions(bw))
	}
	if end := readAll(t, c, esdb.ReadAllOptions{From: esdb.End{}}, 10); len(end) != 0 {
		t.Fatalf("expected nothing forwards from the end, found %d events", len(end))
	}
}

// Check 23: an event's position and revision agree across the append result,
// ReadStream, ReadAll and a subscription.
func TestCheck23PositionsAgree(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	res := appendOK(t, c, stream, esdb.NoStream{}, events(2)...)
	fromStream, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	fromAll := of(readAll(t, c, esdb.ReadAllOptions{}, 1000), stream)
	sub, err := c.SubscribeToAll(ctx(t), esdb.SubscribeToAllOptions{From: esdb.Start{}})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	r := receive(t, sub)
	var fromSub []*esdb.RecordedEvent
	for len(fromSub) < 2 {
		if ev := r.nextEvent(t); ev.StreamID == stream {
			fromSub = append(fromSub, ev)
		}
	}
	last := fromStream[1]
	if last.Position.Commit != res.CommitPosition || last.Position.Prepare != res.PreparePosition {
		t.Fatalf("expected the append's position %d to be the last event's, found %+v", res.CommitPosition, last.Position)
	}
	for i := range 2 {
		a, b, s := fromStream[i], fromAll[i], fromSub[i]
		if a.Position != b.Position || a.Position != s.Position || a.EventNumber != b.EventNumber || a.EventNumber != s.EventNumber {
			t.Fatalf("event %d: stream %+v@%d, $all %+v@%d, subscription %+v@%d disagree",
				i, a.Position, a.EventNumber, b.Position, b.EventNumber, s.Position, s.EventNumber)
		}
	}
}

// Check 24: metadata reads back its latest value; a stream without metadata
// has none (ResourceNotFound).
func TestCheck24StreamMetadata(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	for _, n := range []uint64{10, 20} {
		var m esdb.StreamMetadata
		m.SetMaxCount(n)
		if _, err := c.SetStreamMetadata(ctx(t), stream, esdb.AppendToStreamOptions{}, m); err != nil {
			t.Fatalf("set metadata: %v", err)
		}
	}
	got, err := c.GetStreamMetadata(ctx(t), stream, esdb.ReadStreamOptions{})
	if err != nil {
		t.Fatalf("get metadata: %v", err)
	}
	if mc := got.MaxCount(); mc == nil || *mc != 20 {
		t.Fatalf("expected max count 20, found %v", mc)
	}
	_, err = c.GetStreamMetadata(ctx(t), streamName(t), esdb.ReadStreamOptions{})
	wantCode(t, err, esdb.ErrorCodeResourceNotFound)
}

// Check 37: no read shape makes ReadStream.Recv panic (the client panics on
// any message but an event or stream_not_found).
func TestCheck37ReadsNeverPanic(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(3)...)
	if _, err := c.TombstoneStream(ctx(t), streamName(t), esdb.TombstoneStreamOptions{}); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	for _, tc := range []struct {
		name string
		read func() (*esdb.ReadStream, error)
	}{
		{"stream", func() (*esdb.ReadStream, error) { return c.ReadStream(ctx(t), stream, esdb.ReadStreamOptions{}, 10) }},
		{"missing", func() (*esdb.ReadStream, error) {
			return c.ReadStream(ctx(t), streamName(t), esdb.ReadStreamOptions{}, 10)
		}},
		{"beyond", func() (*esdb.ReadStream, error) {
			return c.ReadStream(ctx(t), stream, esdb.ReadStreamOptions{From: esdb.Revision(99)}, 10)
		}},
		{"backwards", func() (*esdb.ReadStream, error) {
			return c.ReadStream(ctx(t), stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 10)
		}},
		{"all", func() (*esdb.ReadStream, error) { return c.ReadAll(ctx(t), esdb.ReadAllOptions{}, 100) }},
		{"all backwards", func() (*esdb.ReadStream, error) {
			return c.ReadAll(ctx(t), esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 100)
		}},
		{"all end", func() (*esdb.ReadStream, error) { return c.ReadAll(ctx(t), esdb.ReadAllOptions{From: esdb.End{}}, 100) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := tc.read()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			defer rs.Close()
			for range 1000 {
				if _, err := rs.Recv(); err != nil {
					return
				}
			}
			t.Fatal("expected the read to end")
		})
	}
}
