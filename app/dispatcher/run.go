package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/paidan/paidan/eventstore"
)

// Run follows the global log from the checkpoint, handling every trigger,
// and expires due offers every Config.TickInterval, until ctx is cancelled
// (it then saves its checkpoint and returns nil). A dropped subscription is
// resumed from the last position handled; an event that keeps failing for a
// reason other than an unreachable store is logged, counted in
// Stats.Failed and passed over after Config.MaxAttempts. Any other error
// ends Run.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.follow.TryLock() {
		return errors.New("dispatcher: Run or Drain is already following the log")
	}
	defer d.follow.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.tick(ctx)
	}()
	err := d.followLog(ctx, false)
	cancel()
	wg.Wait()
	return err
}

// Drain handles every trigger stored after the checkpoint, saves the
// checkpoint and returns how many events it handled. Events appended while
// it runs may or may not be included. It expires nothing: call ExpireDue.
func (d *Dispatcher) Drain(ctx context.Context) (int, error) {
	if !d.follow.TryLock() {
		return 0, errors.New("dispatcher: Run or Drain is already following the log")
	}
	defer d.follow.Unlock()
	before := d.handled.Load()
	err := d.followLog(ctx, true)
	return int(d.handled.Load() - before), err
}

func (d *Dispatcher) tick(ctx context.Context) {
	t := time.NewTicker(d.cfg.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.ExpireDue(ctx); err != nil && ctx.Err() == nil {
				d.log.Error("expiring due offers", "error", err)
			}
		}
	}
}

// followLog subscribes from the checkpoint and handles events, resubscribing
// after a transient failure. With untilCaughtUp it returns at the first
// CaughtUp, once every event delivered before it is handled.
func (d *Dispatcher) followLog(ctx context.Context, untilCaughtUp bool) error {
	pos, err := d.cp.Load(ctx)
	if err != nil {
		return fmt.Errorf("dispatcher: load checkpoint: %w", err)
	}
	f := &follower{d: d, saved: pos, savedAt: time.Now(), track: newTracker(pos)}
	backoff := d.cfg.RetryBackoff
	for {
		done, err := f.subscribe(ctx, untilCaughtUp)
		if serr := f.save(context.WithoutCancel(ctx)); serr != nil && err == nil {
			err = serr
		}
		switch {
		case done:
			return err
		case ctx.Err() != nil:
			if untilCaughtUp {
				return ctx.Err()
			}
			return nil
		case !transient(err):
			return err
		}
		d.log.Warn("subscription lost; resuming", "position", f.track.position(), "error", err, "after", backoff)
		if !sleep(ctx, backoff) {
			continue
		}
		backoff = min(backoff*2, maxRetryBackoff)
	}
}

// follower is one run of followLog: what is handled and what is saved.
type follower struct {
	d       *Dispatcher
	track   *tracker
	saved   eventstore.Position
	savedAt time.Time
	since   int // events delivered since the last save
}

// subscribe delivers events to the workers until the subscription ends (done
// false, the error) or, with untilCaughtUp, until caught up (done true).
// Every event it delivered is handled before it returns, so the next
// subscription starts after them.
func (f *follower) subscribe(ctx context.Context, untilCaughtUp bool) (bool, error) {
	from := f.track.position()
	sub, err := f.d.store.SubscribeAll(ctx, eventstore.SubscribeOptions{From: from, Filter: Filter()})
	if err != nil {
		return false, fmt.Errorf("dispatcher: subscribe from %d: %w", from, err)
	}
	defer sub.Close()
	w := f.d.startWorkers(ctx, f.track)
	defer w.stop()
	for {
		msg, err := sub.Recv()
		if err != nil {
			return false, err
		}
		switch msg.Kind {
		case eventstore.EventAppeared:
			if !w.send(ctx, job{ev: msg.Event, slot: f.track.add(msg.Event.Position)}) {
				return false, ctx.Err()
			}
			f.since++
		case eventstore.CheckpointReached:
			// Safe once everything delivered before it is handled.
			f.track.finish(f.track.add(msg.Position))
		case eventstore.CaughtUp:
			if untilCaughtUp {
				w.stop()
				return true, nil
			}
			f.d.caughtUp.Store(true)
		}
		if msg.Kind == eventstore.CaughtUp || f.since >= f.d.cfg.CheckpointEvery ||
			time.Since(f.savedAt) >= f.d.cfg.CheckpointInterval {
			if err := f.save(ctx); err != nil {
				return false, err
			}
		}
	}
}

func (f *follower) save(ctx context.Context) error {
	pos := f.track.position()
	if pos == f.saved {
		return nil
	}
	if err := f.d.cp.Save(ctx, pos); err != nil {
		return fmt.Errorf("dispatcher: save checkpoint %d: %w", pos, err)
	}
	f.saved, f.savedAt, f.since = pos, time.Now(), 0
	return nil
}

// job is one delivered event and its place in the tracker.
type job struct {
	ev   eventstore.RecordedEvent
	slot *slot
}

// workers handle triggers concurrently, each stream always on one worker.
type workers struct {
	in   []chan job
	wg   sync.WaitGroup
	once sync.Once
}

func (d *Dispatcher) startWorkers(ctx context.Context, track *tracker) *workers {
	w := &workers{in: make([]chan job, d.cfg.Workers)}
	for i := range w.in {
		ch := make(chan job, 64)
		w.in[i] = ch
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := range ch {
				if err := d.handleWithRetry(ctx, j.ev); err != nil {
					continue // ctx ended: leave it unfinished for the next run
				}
				track.finish(j.slot)
			}
		}()
	}
	return w
}

// send hands j to its stream's worker; false when ctx ended first.
func (w *workers) send(ctx context.Context, j job) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(j.ev.StreamID))
	select {
	case w.in[h.Sum32()%uint32(len(w.in))] <- j:
		return true
	case <-ctx.Done():
		return false
	}
}

// stop lets the workers finish what they were given and waits for them.
func (w *workers) stop() {
	w.once.Do(func() {
		for _, ch := range w.in {
			close(ch)
		}
		w.wg.Wait()
	})
}

// handleWithRetry handles one event, retrying transient failures until ctx
// ends and others up to Config.MaxAttempts times; it returns an error only
// when ctx ends first.
func (d *Dispatcher) handleWithRetry(ctx context.Context, ev eventstore.RecordedEvent) error {
	backoff := d.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := d.Handle(ctx, ev)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !transient(err) && attempt >= d.cfg.MaxAttempts {
			d.failed.Add(1)
			d.log.Error("giving up on an event", "type", ev.Type, "stream", ev.StreamID,
				"position", ev.Position, "attempts", attempt, "error", err)
			return nil
		}
		d.log.Warn("handling an event failed; retrying", "type", ev.Type, "stream", ev.StreamID,
			"position", ev.Position, "attempt", attempt, "error", err)
		if !sleep(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(backoff*2, maxRetryBackoff)
	}
}

// transient reports errors that a later attempt may not meet.
func transient(err error) bool {
	return errors.Is(err, eventstore.ErrUnavailable) || errors.Is(err, eventstore.ErrNotLeader) ||
		errors.Is(err, eventstore.ErrSubscriptionDropped) || errors.Is(err, eventstore.ErrWrongExpectedRevision) ||
		errors.Is(err, context.DeadlineExceeded)
}

// sleep waits d or until ctx ends; it reports whether the full time passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
