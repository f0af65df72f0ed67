package embedded

import (
	"sync"

	"github.com/paidan/paidan/eventstore"
)

// publisher hands committed events to subscriptions: it keeps the head of the
// log as subscribers may see it, a ring of the most recent events, and a
// channel closed (and replaced) at every commit to wake waiting subscribers.
type publisher struct {
	mu   sync.RWMutex
	head eventstore.Position
	wake chan struct{}
	ring ring
}

func (p *publisher) init(maxEvents, maxBytes int, head eventstore.Position) {
	p.head = head
	p.wake = make(chan struct{})
	p.ring = ring{buf: make([]eventstore.RecordedEvent, maxEvents), maxBytes: maxBytes}
}

// publish makes events, just committed and in position order, visible.
func (p *publisher) publish(events []eventstore.RecordedEvent) {
	if len(events) == 0 {
		return
	}
	p.mu.Lock()
	for i := range events {
		p.ring.push(events[i])
	}
	p.head = events[len(events)-1].Position
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// state returns the published head and the channel that the next commit
// closes. Taking both under one lock means a subscriber that finds nothing
// new up to head cannot miss the wake-up for what follows.
func (p *publisher) state() (eventstore.Position, <-chan struct{}) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.head, p.wake
}

// recent appends to dst up to max events from position from on, if the ring
// still holds from; ok is false when from has left the ring (or never
// entered it) and the caller must read the file.
func (p *publisher) recent(from eventstore.Position, max int, dst []eventstore.RecordedEvent) ([]eventstore.RecordedEvent, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.ring.copyFrom(from, max, dst)
}

// ring is a circular buffer of events with consecutive positions, bounded in
// count and in bytes of data and metadata.
type ring struct {
	buf      []eventstore.RecordedEvent
	start    int // index of the oldest event
	n        int
	first    eventstore.Position // position of the oldest event
	bytes    int
	maxBytes int
}

func eventBytes(ev *eventstore.RecordedEvent) int {
	return len(ev.Data) + len(ev.Metadata) + len(ev.StreamID) + len(ev.Type)
}

func (r *ring) push(ev eventstore.RecordedEvent) {
	if len(r.buf) == 0 {
		return
	}
	if r.n > 0 && ev.Position != r.first+eventstore.Position(r.n) {
		// Not consecutive (a commit whose outcome was uncertain): start over
		// rather than let a reader believe positions in between are held.
		r.reset()
	}
	size := eventBytes(&ev)
	for r.n > 0 && (r.n == len(r.buf) || r.bytes+size > r.maxBytes) {
		r.popOldest()
	}
	if size > r.maxBytes {
		return
	}
	if r.n == 0 {
		r.first = ev.Position
	}
	r.buf[(r.start+r.n)%len(r.buf)] = ev
	r.n++
	r.bytes += size
}

func (r *ring) popOldest() {
	old := &r.buf[r.start]
	r.bytes -= eventBytes(old)
	*old = eventstore.RecordedEvent{}
	r.start = (r.start + 1) % len(r.buf)
	r.n--
	r.first++
}

func (r *ring) reset() {
	clear(r.buf)
	r.start, r.n, r.bytes = 0, 0, 0
}

func (r *ring) copyFrom(from eventstore.Position, max int, dst []eventstore.RecordedEvent) ([]eventstore.RecordedEvent, bool) {
	if r.n == 0 || from < r.first || from > r.first+eventstore.Position(r.n) {
		return dst, false
	}
	for i := int(from - r.first); i < r.n && max > 0; i++ {
		dst = append(dst, r.buf[(r.start+i)%len(r.buf)])
		max--
	}
	return dst, true
}
