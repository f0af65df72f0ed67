package embedded

import (
	"sync"
	"sync/atomic"
)

// typeNames interns event type names: a store holds a few dozen distinct
// types over millions of events, so reads share one string per type instead
// of allocating one per event. Lookups take no lock; the rare addition copies
// the map.
type typeNames struct {
	m  atomic.Pointer[map[string]string]
	mu sync.Mutex
}

// maxTypeNames bounds the table; further names are returned uninterned.
const maxTypeNames = 4096

func (t *typeNames) intern(b []byte) string {
	if m := t.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old != nil && len(*old) >= maxTypeNames {
		return s
	}
	next := make(map[string]string, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[s] = s
	t.m.Store(&next)
	return s
}

func lenOf(m *map[string]string) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
