package projections

import (
	"sync"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

// sharedDecoder decodes each event once for all projections. Every runner
// follows the same log a few events apart, so a small table of recent
// decodings keyed by position (and event id: EventStoreDB gives the events of
// one transaction the same commit position) spares the other runners the
// work. Models only read what they are given, so one value serves all.
type sharedDecoder struct {
	decode Decoder
	slots  [sharedDecodeSlots]decodedSlot
}

const sharedDecodeSlots = 4096

type decodedSlot struct {
	mu  sync.Mutex
	pos eventstore.Position
	id  uuid.UUID
	v   any
}

func newSharedDecoder(d Decoder) Decoder {
	s := &sharedDecoder{decode: d}
	return s.get
}

func (s *sharedDecoder) get(ev *Event) (any, error) {
	slot := &s.slots[uint64(ev.Position)%sharedDecodeSlots]
	slot.mu.Lock()
	if slot.v != nil && slot.pos == ev.Position && slot.id == ev.ID {
		v := slot.v
		slot.mu.Unlock()
		return v, nil
	}
	slot.mu.Unlock()
	v, err := s.decode(ev)
	if err != nil || v == nil {
		return v, err
	}
	slot.mu.Lock()
	slot.pos, slot.id, slot.v = ev.Position, ev.ID, v
	slot.mu.Unlock()
	return v, nil
}
