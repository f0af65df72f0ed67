package storebench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/eventstore"
)

// eventsPerStream is how many events an append scenario writes to one stream
// before its writer moves on to a new one: about an order's lifetime.
const eventsPerStream = 10

// payload is the small event body the scenarios write and the load decodes.
type payload struct {
	Order   string `json:"order"`
	Team    string `json:"team"`
	Station string `json:"station"`
	Seq     int    `json:"seq"`
	Note    string `json:"note"`
}

var metadata = []byte(`{"correlation_id":"3f1c0e4e-8c1b-4bb0-a3c2-6f0f5d9e1a77","actor":"bench"}`)

func newEvent(stream string, seq int) eventstore.EventData {
	data, _ := json.Marshal(payload{Order: stream, Team: "team-0042", Station: "station-0317", Seq: seq, Note: "door-to-door service"})
	return eventstore.EventData{ID: uuid.New(), Type: "OrderOffered", Data: data, Metadata: metadata}
}

// appendScenario has writers goroutines each append perAppend events at a
// time, under exact expectations, to streams of their own, until total
// events are written.
func appendScenario(open Opener, writers, perAppend, total int) func(context.Context, string) (int, time.Duration, error) {
	return func(ctx context.Context, path string) (int, time.Duration, error) {
		store, err := open(path)
		if err != nil {
			return 0, 0, err
		}
		defer store.Close()
		appendsPerWriter := max(total/(writers*perAppend), 1)
		// Build every event first, so the clock measures the store only.
		work := make([][][]eventstore.EventData, writers)
		streams := make([][]string, writers)
		for w := range writers {
			for a := range appendsPerWriter {
				first := a * perAppend
				stream := fmt.Sprintf("order-w%d-%d", w, first/eventsPerStream)
				evs := make([]eventstore.EventData, perAppend)
				for i := range evs {
					evs[i] = newEvent(stream, first+i)
				}
				work[w] = append(work[w], evs)
				streams[w] = append(streams[w], stream)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		start := time.Now()
		for w := range writers {
			wg.Go(func() {
				var next uint64
				prev := ""
				for a, evs := range work[w] {
					if streams[w][a] != prev {
						prev, next = streams[w][a], 0
					}
					res, err := store.Append(ctx, prev, eventstore.ExpectNext(next), evs...)
					if err != nil {
						errs <- err
						return
					}
					next = res.NextRevision
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			return 0, 0, err
		}
		return writers * appendsPerWriter * perAppend, took, nil
	}
}

// loadScenario writes streams×perStream events, then times reading them back
// stream by stream, decoding every event as an aggregate load would; it
// reports the fastest of passes passes.
func loadScenario(open Opener, streams, perStream, passes int) func(context.Context, string) (int, time.Duration, error) {
	return func(ctx context.Context, path string) (int, time.Duration, error) {
		store, err := open(path)
		if err != nil {
			return 0, 0, err
		}
		defer store.Close()
		names := make([]string, streams)
		for i := range names {
			names[i] = fmt.Sprintf("order-%s", uuid.New())
		}
		if err := fill(ctx, store, names, perStream); err != nil {
			return 0, 0, fmt.Errorf("write the streams to load: %w", err)
		}
		var best time.Duration
		for range passes {
			took, err := loadPass(ctx, store, names, perStream)
			if err != nil {
				return 0, 0, err
			}
			if best == 0 || took < best {
				best = took
			}
		}
		return streams * perStream, best, nil
	}
}

// loadPass reads every stream back, decodes its events and checks them.
func loadPass(ctx context.Context, store eventstore.Store, names []string, perStream int) (time.Duration, error) {
	start := time.Now()
	n := 0
	for _, name := range names {
		evs, err := store.ReadStream(ctx, name, eventstore.ReadStreamOptions{Limit: 1000})
		if err != nil {
			return 0, err
		}
		for _, ev := range evs {
			var p payload
			if err := json.Unmarshal(ev.Data, &p); err != nil {
				return 0, fmt.Errorf("decode %s@%d: %w", name, ev.Revision, err)
			}
			if p.Seq != int(ev.Revision) {
				return 0, fmt.Errorf("%s@%d carries seq %d", name, ev.Revision, p.Seq)
			}
			n++
		}
	}
	took := time.Since(start)
	if n != len(names)*perStream {
		return 0, fmt.Errorf("read back %d events, expected %d", n, len(names)*perStream)
	}
	return took, nil
}

// fill writes perStream events to every stream with 16 writers.
func fill(ctx context.Context, store eventstore.Store, names []string, perStream int) error {
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < len(names); i += writers {
				evs := make([]eventstore.EventData, perStream)
				for j := range evs {
					evs[j] = newEvent(names[i], j)
				}
				if _, err := store.Append(ctx, names[i], eventstore.NoStream(), evs...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return errors.Join(<-errs)
}
