package esdbtest_test

import (
	"bytes"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// Check 5: the first append with NoStream answers revision 0 and a position
// with commit == prepare > 0.
func TestCheck05AppendNoStream(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	res := appendOK(t, c, streamName(t), esdb.NoStream{}, event("First"))
	if res.NextExpectedVersion != 0 {
		t.Fatalf("expected NextExpectedVersion 0, found %d", res.NextExpectedVersion)
	}
	if res.CommitPosition == 0 || res.CommitPosition != res.PreparePosition {
		t.Fatalf("expected commit == prepare > 0, found commit %d prepare %d", res.CommitPosition, res.PreparePosition)
	}
}

// Check 6: three events with Any after revision 0 take revisions 1..3.
func TestCheck06AppendAny(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, event("First"))
	evs := events(3)
	res := appendOK(t, c, stream, esdb.Any{}, evs...)
	if res.NextExpectedVersion != 3 {
		t.Fatalf("expected NextExpectedVersion 3, found %d", res.NextExpectedVersion)
	}
	read, err := readStream(t, c, stream, esdb.ReadStreamOptions{From: esdb.Revision(1)}, 10)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if got := revisions(read); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("expected revisions [1 2 3], found %v", got)
	}
	for i, ev := range read {
		if ev.EventID != evs[i].EventID {
			t.Fatalf("revision %d: expected event %s, found %s", i+1, evs[i].EventID, ev.EventID)
		}
	}
}

// Checks 7, 8 and 9: wrong expectations answer WrongExpectedVersion with the
// client's message naming what was expected and what was found.
func TestCheck07to09WrongExpectedVersion(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	for _, tc := range []struct {
		name     string
		existing int
		exp      esdb.ExpectedRevision
		message  string
	}{
		{"check 7 no_stream on existing", 1, esdb.NoStream{}, "expecting 'no_stream' but got '0'"},
		{"check 8 stream_exists on new", 0, esdb.StreamExists{}, "expecting 'stream_exists' but got 'no_stream'"},
		{"check 9 revision behind", 3, esdb.Revision(1), "expecting '1' but got '2'"},
		{"check 9 revision ahead", 1, esdb.Revision(5), "expecting '5' but got '0'"},
		{"check 9 revision on new", 0, esdb.Revision(0), "expecting '0' but got 'no_stream'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := streamName(t)
			if tc.existing > 0 {
				appendOK(t, c, stream, esdb.NoStream{}, events(tc.existing)...)
			}
			_, err := c.AppendToStream(ctx(t), stream, esdb.AppendToStreamOptions{ExpectedRevision: tc.exp}, event("New"))
			wantCode(t, err, esdb.ErrorCodeWrongExpectedVersion)
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("expected the message to contain %q, found %q", tc.message, err.Error())
			}
		})
	}
}

// Check 9: the exact current revision succeeds.
func TestCheck09RevisionCurrent(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(3)...)
	res := appendOK(t, c, stream, esdb.Revision(2), events(2)...)
	if res.NextExpectedVersion != 4 {
		t.Fatalf("expected NextExpectedVersion 4, found %d", res.NextExpectedVersion)
	}
}

// Check 10: a stream that has only metadata exists for StreamExists.
func TestCheck10StreamExistsWithMetadataOnly(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	var meta esdb.StreamMetadata
	meta.SetMaxCount(100)
	if _, err := c.SetStreamMetadata(ctx(t), stream, esdb.AppendToStreamOptions{}, meta); err != nil {
		t.Fatalf("set metadata: %v", err)
	}
	res := appendOK(t, c, stream, esdb.StreamExists{}, event("AfterMetadata"))
	if res.NextExpectedVersion != 0 {
		t.Fatalf("expected NextExpectedVersion 0, found %d", res.NextExpectedVersion)
	}
}

// Check 11: an identical retry answers the original result and writes nothing.
func TestCheck11IdempotentRetry(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	for _, tc := range []struct {
		name     string
		existing int
		exp      esdb.ExpectedRevision
	}{
		{"no_stream", 0, esdb.NoStream{}},
		{"revision", 2, esdb.Revision(1)},
		{"any", 2, esdb.Any{}},
		{"stream_exists", 2, esdb.StreamExists{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream := streamName(t)
			if tc.existing > 0 {
				appendOK(t, c, stream, esdb.NoStream{}, events(tc.existing)...)
			}
			batch := events(2)
			first := appendOK(t, c, stream, tc.exp, batch...)
			retry := appendOK(t, c, stream, tc.exp, batch...)
			if *retry != *first {
				t.Fatalf("expected the retry to answer %+v, found %+v", *first, *retry)
			}
			read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 100)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(read) != tc.existing+2 {
				t.Fatalf("expected %d events after the retry, found %d", tc.existing+2, len(read))
			}
		})
	}
}

// Check 12: a retry whose first ID is known but a later one is not is
// "corrupted idempotency": WrongExpectedVersion.
func TestCheck12PartialRetryAny(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	batch := events(2)
	appendOK(t, c, stream, esdb.Any{}, batch...)
	_, err := c.AppendToStream(ctx(t), stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Any{}}, batch[0], event("Other"))
	wantCode(t, err, esdb.ErrorCodeWrongExpectedVersion)
}

// Check 13: a positional retry whose IDs do not match what is stored after
// the expected revision is WrongExpectedVersion.
func TestCheck13PositionalMismatch(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, events(3)...)
	_, err := c.AppendToStream(ctx(t), stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, event("NotEvent1"))
	wantCode(t, err, esdb.ErrorCodeWrongExpectedVersion)
}

// Check 14: of concurrent appends with the same expected revision exactly
// one wins.
func TestCheck14ConcurrentAppends(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	appendOK(t, c, stream, esdb.NoStream{}, event("First"))
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, errs[i] = c.AppendToStream(ctx(t), stream, esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, event("Racing"))
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		wantCode(t, err, esdb.ErrorCodeWrongExpectedVersion)
	}
	if wins != 1 {
		t.Fatalf("expected exactly 1 winner, found %d", wins)
	}
}

// Check 15: the nil ID is replaced by a random one; a given ID is kept.
func TestCheck15EventIDs(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	given := event("Given")
	nilID := event("NilID")
	nilID.EventID = uuid.Nil
	appendOK(t, c, stream, esdb.NoStream{}, given, nilID)
	read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	if err != nil || len(read) != 2 {
		t.Fatalf("expected 2 events, found %d (err %v)", len(read), err)
	}
	if read[0].EventID != given.EventID {
		t.Fatalf("expected ID %s, found %s", given.EventID, read[0].EventID)
	}
	if read[1].EventID == uuid.Nil {
		t.Fatal("expected a random ID for the nil ID, found the nil ID")
	}
}

// Checks 16 and 17: content type, type, data and metadata round-trip
// exactly; the system metadata has exactly type, content-type and created;
// the created date is UTC and close to the append.
func TestCheck16and17RoundTrip(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	stream := streamName(t)
	jsonEv := esdb.EventData{EventID: uuid.New(), EventType: "JSONed", ContentType: esdb.ContentTypeJson,
		Data: []byte(`{"a":"æ"}`), Metadata: []byte(`{"m":1}`)}
	binEv := esdb.EventData{EventID: uuid.New(), EventType: "Binary", ContentType: esdb.ContentTypeBinary,
		Data: []byte{0, 1, 2, 255}, Metadata: []byte{9}}
	before := time.Now()
	appendOK(t, c, stream, esdb.NoStream{}, jsonEv, binEv)
	after := time.Now()
	read, err := readStream(t, c, stream, esdb.ReadStreamOptions{}, 10)
	if err != nil || len(read) != 2 {
		t.Fatalf("expected 2 events, found %d (err %v)", len(read), err)
	}
	for i, tc := range []struct {
		sent        esdb.EventData
		contentType string
	}{{jsonEv, "application/json"}, {binEv, "application/octet-stream"}} {
		got := read[i]
		if got.ContentType != tc.contentType || got.EventType != tc.sent.EventType ||
			!bytes.Equal(got.Data, tc.sent.Data) || !bytes.Equal(got.UserMetadata, tc.sent.Metadata) {
			t.Fatalf("event %d: expected %s %q data %x metadata %x, found %s %q data %x metadata %x", i,
				tc.contentType, tc.sent.EventType, tc.sent.Data, tc.sent.Metadata,
				got.ContentType, got.EventType, got.Data, got.UserMetadata)
		}
		var keys []string
		for k := range got.SystemMetadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "content-type,created,type" {
			t.Fatalf("expected system metadata keys content-type,created,type, found %v", keys)
		}
		if got.CreatedDate.Location() != time.UTC {
			t.Fatalf("expected a UTC created date, found %v", got.CreatedDate.Location())
		}
		if got.CreatedDate.Before(before.Add(-2*time.Second)) || got.CreatedDate.After(after.Add(2*time.Second)) {
			t.Fatalf("expected a created date within 2 s of [%v, %v], found %v", before, after, got.CreatedDate)
		}
	}
}
