package esdbtest_test

import (
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// Check 25: deleting a never-written stream is a wrong-expected-version
// status, which the client reports as ErrorCodeUnknown (wrapped).
func TestCheck25DeleteMissingStream(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	_, err := c.DeleteStream(ctx(t), streamName(t), esdb.DeleteStreamOptions{ExpectedRevision: esdb.Any{}})
	wantCode(t, err, esdb.ErrorCodeUnknown)
}

// Checks 26 and 28: a soft-deleted stream reads as not found, an append
// recreates it with revisions continuing and only new events visible, $all
// keeps the old events; the delete's position has commit == prepare > 0.
func TestCheck26and28SoftDelete(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	old := events(3)
	appendOK(t, c, stream, esdb.NoStream{}, old...)
	del, err := c.DeleteStream(ctx(t), stream, esdb.DeleteStreamOptions{ExpectedRevision: esdb.Any{}})
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if del.Position.Commit == 0 || del.Position.Commit != del.Position.Prepare {
		t.Fatalf("check 28: expected commit == prepare > 0, found %+v", del.Position)
	}
	_, err = readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	wantCode(t, err, esdb.ErrorCodeResourceNotFound)

	res := appendOK(t, c, stream, esdb.Any{}, event("Recreated"))
	if res.NextExpectedVersion != 3 {
		t.Fatalf("expected NextExpectedVersion 3 (continuing after 2), found %d", res.NextExpectedVersion)
	}
	evs, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if len(evs) != 1 || evs[0].EventType != "Recreated" || evs[0].EventNumber != 3 {
		t.Fatalf("expected only Recreated@3, found %d events %v", len(evs), revisions(evs))
	}
	if inAll := of(readAll(t, c, esdb.ReadAllOptions{}, 1000), stream); len(inAll) != 4 {
		t.Fatalf("expected $all to keep the 3 old events and the new one, found %d", len(inAll))
	}
}

// Check 27: a tombstoned stream refuses appends, reads and subscriptions
// with ErrorCodeStreamDeleted.
func TestCheck27Tombstone(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(2)...)
	ts, err := c.TombstoneStream(ctx(t), stream, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Revision(1)})
	if err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	if ts.Position.Commit == 0 || ts.Position.Commit != ts.Position.Prepare {
		t.Fatalf("expected commit == prepare > 0, found %+v", ts.Position)
	}
	_, err = c.AppendToStream(ctx(t), stream, esdb.AppendToStreamOptions{}, event("Late"))
	wantCode(t, err, esdb.ErrorCodeStreamDeleted)
	_, err = readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	wantCode(t, err, esdb.ErrorCodeStreamDeleted)
	_, err = c.SubscribeToStream(ctx(t), stream, esdb.SubscribeToStreamOptions{From: esdb.Start{}})
	wantCode(t, err, esdb.ErrorCodeStreamDeleted)
}
