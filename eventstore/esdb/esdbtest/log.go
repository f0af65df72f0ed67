package esdbtest

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// deletedRevision is EventStoreDB's "deleted" marker: the revision of a
// tombstone event and the $tb of a soft-deleted stream.
const deletedRevision = math.MaxInt64

// firstPosition is where the log starts; real logs never start at zero and
// tests must not assume they do.
const firstPosition = 1024

// record is one event of the global log.
type record struct {
	position  uint64
	stream    string
	revision  uint64
	id        [16]byte
	eventType string
	isJSON    bool
	data      []byte
	metadata  []byte
	created   time.Time
}

// size is the record's share of the byte-offset-like position counter, so
// positions have gaps the way a transaction log's offsets do.
func (r *record) size() uint64 {
	return uint64(64 + len(r.stream) + len(r.eventType) + len(r.data) + len(r.metadata))
}

// stream is the state of one stream. Metastreams ($$name) are streams too;
// their latest event sets the target stream's truncateBefore.
type stream struct {
	events []*record // index = revision
	ids    map[[16]byte]uint64
	// tombstone is the $streamDeleted record once the stream is hard-deleted.
	tombstone *record
	// truncateBefore hides events below it from stream reads ($tb of the
	// latest metadata); deletedRevision means soft-deleted.
	truncateBefore uint64
}

// last is the revision of the last event, or -1 when the stream has none.
func (s *stream) last() int64 {
	if s == nil {
		return -1
	}
	return int64(len(s.events)) - 1
}

func (s *stream) softDeleted() bool { return s != nil && s.truncateBefore == deletedRevision }
func (s *stream) tombstoned() bool  { return s != nil && s.tombstone != nil }

// proposed is an event of an append request.
type proposed struct {
	id        [16]byte
	eventType string
	isJSON    bool
	data      []byte
	metadata  []byte
}

// expectKind mirrors the expected_stream_revision oneof.
type expectKind int

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectRevision
)

type expectation struct {
	kind     expectKind
	revision uint64
}

// number is the server's internal expected version for the ordered forms:
// -1 for NoStream, the revision otherwise.
func (e expectation) number() int64 {
	if e.kind == expectNoStream {
		return -1
	}
	return int64(e.revision)
}

// outcome is the result of a write decision.
type outcome int

const (
	outcomeOK outcome = iota
	outcomeWrongExpected
	outcomeDeleted
)

// writeResult is what an append or delete answers.
type writeResult struct {
	outcome outcome
	// current is the stream's last revision (-1: none) for success and for a
	// wrong expected version.
	current  int64
	position uint64
}

// eventLog is the server's whole state: the global log and its streams. All
// writes are serialised by mu; readers copy what they need under mu and send
// outside it.
type eventLog struct {
	mu      sync.Mutex
	records []*record
	streams map[string]*stream
	next    uint64
	// changed is closed and replaced after every commit, waking subscriptions.
	changed chan struct{}
	now     func() time.Time
}

func newEventLog() *eventLog {
	return &eventLog{
		streams: map[string]*stream{},
		next:    firstPosition,
		changed: make(chan struct{}),
		now:     func() time.Time { return time.Now().UTC() },
	}
}

func (l *eventLog) streamLocked(name string) *stream {
	s := l.streams[name]
	if s == nil {
		s = &stream{ids: map[[16]byte]uint64{}}
		l.streams[name] = s
	}
	return s
}

// writeLocked appends events to a stream, contiguously in $all.
func (l *eventLog) writeLocked(name string, events []proposed) *record {
	s := l.streamLocked(name)
	var last *record
	for _, ev := range events {
		r := &record{
			position:  l.next,
			stream:    name,
			revision:  uint64(len(s.events)),
			id:        ev.id,
			eventType: ev.eventType,
			isJSON:    ev.isJSON,
			data:      ev.data,
			metadata:  ev.metadata,
			created:   l.now(),
		}
		l.next += r.size()
		l.records = append(l.records, r)
		s.events = append(s.events, r)
		s.ids[ev.id] = r.revision
		last = r
	}
	if strings.HasPrefix(name, "$$") && last != nil {
		l.streamLocked(name[2:]).truncateBefore = truncateBefore(last.data)
	}
	return last
}

// truncateBefore reads $tb from stream metadata JSON; 0 when absent.
func truncateBefore(metadata []byte) uint64 {
	var m struct {
		TB *uint64 `json:"$tb"`
	}
	if json.Unmarshal(metadata, &m) != nil || m.TB == nil {
		return 0
	}
	return *m.TB
}

// writeMetadataLocked writes a $metadata event to $$name holding the previous
// metadata with $tb replaced.
func (l *eventLog) writeMetadataLocked(name string, tb uint64) *record {
	props := map[string]any{}
	if ms := l.streams["$$"+name]; ms.last() >= 0 {
		_ = json.Unmarshal(ms.events[len(ms.events)-1].data, &props)
	}
	props["$tb"] = tb
	data, _ := json.Marshal(props)
	return l.writeLocked("$$"+name, []proposed{{
		id: newID(), eventType: "$metadata", isJSON: true, data: data, metadata: []byte{},
	}})
}

func (l *eventLog) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// appendEvents decides an append exactly as ESDB-PROTOCOL.md §2.4 describes
// EventStoreDB 24.10's decision, including its idempotency rules.
func (l *eventLog) appendEvents(name string, exp expectation, events []proposed) writeResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.streams[name]
	cur := s.last()
	wrong := writeResult{outcome: outcomeWrongExpected, current: cur}
	if s.tombstoned() {
		return writeResult{outcome: outcomeDeleted}
	}
	if exp.kind == expectExists {
		if s.softDeleted() {
			return writeResult{outcome: outcomeDeleted}
		}
		if cur == -1 && l.streams["$$"+name].last() == -1 {
			return wrong
		}
	}
	switch exp.kind {
	case expectAny, expectExists:
		if len(events) == 0 {
			return l.emptyWriteLocked(cur)
		}
		if _, known := s.idsOrNil()[events[0].id]; !known {
			return l.commitLocked(name, s, cur, events)
		}
		var rev uint64
		for _, ev := range events {
			r, known := s.ids[ev.id]
			if !known {
				return wrong // "corrupted idempotency"
			}
			rev = r
		}
		return writeResult{current: int64(rev), position: s.events[rev].position}
	default:
		e := exp.number()
		switch {
		case e < cur:
			if len(events) == 0 {
				return wrong
			}
			for i, ev := range events {
				r := e + 1 + int64(i)
				if r > cur {
					return wrong
				}
				if s.events[r].id != ev.id {
					if i == 0 && exp.kind == expectNoStream && s.softDeleted() {
						return l.commitLocked(name, s, cur, events)
					}
					return wrong
				}
			}
			last := e + int64(len(events))
			return writeResult{current: last, position: s.events[last].position}
		case e > cur:
			return wrong
		}
		if len(events) == 0 {
			return l.emptyWriteLocked(cur)
		}
		return l.commitLocked(name, s, cur, events)
	}
}

func (s *stream) idsOrNil() map[[16]byte]uint64 {
	if s == nil {
		return nil
	}
	return s.ids
}

// emptyWriteLocked answers an empty append: the real server writes an empty
// record, so the answer carries a fresh position.
func (l *eventLog) emptyWriteLocked(cur int64) writeResult {
	pos := l.next
	l.next += 16
	return writeResult{current: cur, position: pos}
}

func (l *eventLog) commitLocked(name string, s *stream, cur int64, events []proposed) writeResult {
	last := l.writeLocked(name, events)
	if s.softDeleted() {
		// Recreating a soft-deleted stream keeps its old events hidden.
		l.writeMetadataLocked(name, uint64(cur+1))
	}
	l.notifyLocked()
	return writeResult{current: int64(last.revision), position: last.position}
}

// checkDeleteLocked applies the expected-version check of deletes (§4: §2.4
// steps 1, 2 and 4–6, without idempotency).
func (l *eventLog) checkDeleteLocked(name string, exp expectation) (writeResult, bool) {
	s := l.streams[name]
	cur := s.last()
	wrong := writeResult{outcome: outcomeWrongExpected, current: cur}
	if s.tombstoned() {
		return writeResult{outcome: outcomeDeleted}, false
	}
	switch exp.kind {
	case expectExists:
		if s.softDeleted() {
			return writeResult{outcome: outcomeDeleted}, false
		}
		if cur == -1 {
			return wrong, false
		}
	case expectNoStream, expectRevision:
		if exp.number() != cur {
			return wrong, false
		}
	}
	return writeResult{current: cur}, true
}

// softDelete marks a stream deleted through its metadata ($tb = max).
func (l *eventLog) softDelete(name string, exp expectation) writeResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	res, ok := l.checkDeleteLocked(name, exp)
	if !ok {
		return res
	}
	if l.streams[name].last() == -1 && l.streams["$$"+name].last() == -1 {
		return writeResult{outcome: outcomeWrongExpected, current: -1}
	}
	r := l.writeMetadataLocked(name, deletedRevision)
	l.notifyLocked()
	return writeResult{current: res.current, position: r.position}
}

// tombstone hard-deletes a stream by writing $streamDeleted to it.
func (l *eventLog) tombstone(name string, exp expectation) writeResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	res, ok := l.checkDeleteLocked(name, exp)
	if !ok {
		return res
	}
	s := l.streamLocked(name)
	r := &record{
		position:  l.next,
		stream:    name,
		revision:  deletedRevision,
		id:        newID(),
		eventType: "$streamDeleted",
		isJSON:    true,
		data:      []byte{},
		metadata:  []byte{},
		created:   l.now(),
	}
	l.next += r.size()
	l.records = append(l.records, r)
	s.tombstone = r
	l.notifyLocked()
	return writeResult{current: res.current, position: r.position}
}

// streamView is a snapshot of what a stream read may see.
type streamView struct {
	found      bool
	tombstoned bool
	events     []*record // visible events, ascending
	tombstone  *record
	changed    <-chan struct{}
}

// viewStream returns the visible events of a stream with revision >= from.
func (l *eventLog) viewStream(name string, from uint64) streamView {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.streams[name]
	v := streamView{changed: l.changed, tombstoned: s.tombstoned()}
	if s != nil {
		v.tombstone = s.tombstone
	}
	if s.last() == -1 || s.softDeleted() {
		return v
	}
	v.found = true
	first := s.truncateBefore
	if strings.HasPrefix(name, "$$") {
		// Metastreams keep only their latest event (max-count 1).
		first = uint64(len(s.events) - 1)
	}
	if from > first {
		first = from
	}
	if first < uint64(len(s.events)) {
		v.events = append([]*record(nil), s.events[first:]...)
	}
	return v
}

// lastRevision is the stream's last revision (-1: none) and whether it is
// tombstoned.
func (l *eventLog) lastRevision(name string) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.streams[name]
	return s.last(), s.tombstoned()
}

// allFrom returns up to max records from index i and the change signal.
func (l *eventLog) allFrom(i, max int) ([]*record, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.records) {
		return nil, l.changed
	}
	end := min(len(l.records), i+max)
	return append([]*record(nil), l.records[i:end]...), l.changed
}

// index is the index of the first record with position > p, or >= p when
// inclusive.
func (l *eventLog) index(p uint64, inclusive bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sort.Search(len(l.records), func(i int) bool {
		if inclusive {
			return l.records[i].position >= p
		}
		return l.records[i].position > p
	})
}

// head is the number of records and the position of the last one (0: none).
func (l *eventLog) head() (int, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.records) == 0 {
		return 0, 0
	}
	return len(l.records), l.records[len(l.records)-1].position
}
