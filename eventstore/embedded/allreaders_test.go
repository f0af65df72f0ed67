package embedded_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
)

// TestReadAllAgreesWithReadStream reads odd payloads (empty, binary, a
// long one that takes several buffers) through $all and through their
// stream: every field must match, and changing one event's slices must not
// touch its neighbours, which share buffers with it.
func TestReadAllAgreesWithReadStream(t *testing.T) {
	s, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	in := []eventstore.EventData{
		{ID: uuid.New(), Type: "Json", Data: []byte(`{"a":1,"ü":"派单"}`), Metadata: []byte(`{"m":true}`)},
		{ID: uuid.New(), Type: "Empty"},
		{ID: uuid.New(), Type: "Binary", Data: []byte{0, 1, 2, 0xff, 0}, Metadata: []byte{0x80}},
		{ID: uuid.New(), Type: "Long", Data: bytes.Repeat([]byte("x"), 300<<10), Metadata: []byte("{}")},
		{ID: uuid.New(), Type: "Json", Data: []byte(`{"b":2}`), Metadata: []byte(`{}`)},
	}
	for i := range 3 {
		if _, err := s.Append(ctx, fmt.Sprintf("order-%d", i), eventstore.NoStream(), in...); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Limit: 100})
	if err != nil || len(all) != 3*len(in) {
		t.Fatalf("ReadAll: %d events, err %v; expected %d", len(all), err, 3*len(in))
	}
	for i := range 3 {
		stream := fmt.Sprintf("order-%d", i)
		want, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for j, w := range want {
			g := all[i*len(in)+j]
			if g.StreamID != w.StreamID || g.Revision != w.Revision || g.Position != w.Position || g.ID != w.ID ||
				g.Type != w.Type || !g.Created.Equal(w.Created) || !bytes.Equal(g.Data, w.Data) || !bytes.Equal(g.Metadata, w.Metadata) {
				t.Errorf("%s revision %d: $all read %+v, the stream %+v", stream, j, brief(g), brief(w))
			}
		}
	}
	before := string(all[1].Data) + "|" + string(all[1].Metadata) + "|" + all[1].StreamID
	all[0].Data = append(all[0].Data, "overflow"...)
	all[0].Metadata = append(all[0].Metadata, "overflow"...)
	if after := string(all[1].Data) + "|" + string(all[1].Metadata) + "|" + all[1].StreamID; after != before {
		t.Errorf("appending to one event's slices changed the next event from %q to %q", before, after)
	}
	backwards, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: eventstore.End, Direction: eventstore.Backwards, Limit: 2})
	if err != nil || len(backwards) != 2 || backwards[0].Position != all[len(all)-1].Position || backwards[1].Position != all[len(all)-2].Position {
		t.Fatalf("backwards from the end: %d events, err %v; expected the last two of %d", len(backwards), err, len(all))
	}
}

func brief(ev eventstore.RecordedEvent) string {
	return fmt.Sprintf("%s/%d@%d %s %x data %d bytes %q meta %q", ev.StreamID, ev.Revision, ev.Position, ev.Type, ev.ID[:4],
		len(ev.Data), strings.ToValidUTF8(string(ev.Data[:min(len(ev.Data), 16)]), "?"), ev.Metadata)
}

// TestReadAllCancelled: a read with an ended context fails with the
// context's error and leaves the reader usable.
func TestReadAllCancelled(t *testing.T) {
	s, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Config{ReadConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Append(ctx, "order-1", eventstore.NoStream(), event("Placed"), event("Offered")); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ReadAll(cancelled, eventstore.ReadAllOptions{Limit: 10}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadAll with a cancelled context: err %v, expected context.Canceled", err)
	}
	if evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Limit: 10}); err != nil || len(evs) != 2 {
		t.Fatalf("ReadAll afterwards: %d events, err %v; expected 2", len(evs), err)
	}
}

// TestCloseWhileReadingAll closes the store under concurrent $all reads:
// each read returns every event or ErrClosed, and Close waits for them.
func TestCloseWhileReadingAll(t *testing.T) {
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
				evs, err := s.ReadAll(ctx, eventstore.ReadAllOptions{Limit: 10})
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
