package storebench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// lagScenario measures how long a live subscriber waits for an event: from
// the moment its Append is called until the subscription delivers it, while
// appends arrive at rate per second from 16 writers, for total appends. This
// is the store's share of projection lag.
func lagScenario(ctx context.Context, open Opener, path string, rate, total int) (p50, p99 time.Duration, err error) {
	store, err := open(path)
	if err != nil {
		return 0, 0, err
	}
	defer store.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := store.SubscribeAll(ctx, eventstore.SubscribeOptions{From: eventstore.End})
	if err != nil {
		return 0, 0, err
	}
	defer sub.Close()

	var sentMu sync.Mutex
	sent := make(map[[16]byte]time.Time, total)
	lags := make([]time.Duration, 0, total)
	recvDone := make(chan error, 1)
	go func() {
		for len(lags) < total {
			m, err := sub.Recv()
			if err != nil {
				recvDone <- err
				return
			}
			if m.Kind != eventstore.EventAppeared {
				continue
			}
			now := time.Now()
			sentMu.Lock()
			at, ok := sent[m.Event.ID]
			sentMu.Unlock()
			if !ok {
				recvDone <- fmt.Errorf("event %x arrived before its append was recorded", m.Event.ID)
				return
			}
			lags = append(lags, now.Sub(at))
		}
		recvDone <- nil
	}()

	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			for i := range jobs {
				stream := fmt.Sprintf("order-lag-%d-%d", w, i)
				ev := newEvent(stream, 0)
				sentMu.Lock()
				sent[ev.ID] = time.Now()
				sentMu.Unlock()
				if _, err := store.Append(ctx, stream, eventstore.NoStream(), ev); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Pace the appends on a schedule: sleeping is the point here.
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	select {
	case err := <-recvDone:
		if err != nil {
			return 0, 0, err
		}
	case <-time.After(30 * time.Second):
		return 0, 0, errors.New("the subscriber did not receive every event within 30s")
	}
	slices.Sort(lags)
	return lags[len(lags)/2], lags[len(lags)*99/100], nil
}
