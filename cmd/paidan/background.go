package main

import (
	"context"
	"log/slog"
	"time"
)

// task is a goroutine the server runs beside HTTP. It has its own context,
// not the server's, so that shutdown can stop the tasks one by one in the
// order their dependencies require, after HTTP has drained.
type task struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // run's result, readable once done is closed
}

// startTask runs run in a goroutine until stop is called. parent gives the
// task its values (not its cancellation: the task ends only on stop).
func startTask(parent context.Context, run func(ctx context.Context) error) *task {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	t := &task{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.err = run(ctx)
	}()
	return t
}

// stop cancels the task, waits for it and returns what it returned.
func (t *task) stop() error {
	t.cancel()
	<-t.done
	return t.err
}

// finished reports whether the task's run has returned on its own.
func (t *task) finished() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// supervised runs run again after it fails, with a doubling pause, until
// ctx ends: for components that can resume from their own checkpoints (the
// dispatcher, the demo load) and should outlive a failure the log explains,
// such as an event store that went away.
func supervised(name string, log *slog.Logger, run func(ctx context.Context) error) func(ctx context.Context) error {
	const minPause, maxPause = 100 * time.Millisecond, 10 * time.Second
	return func(ctx context.Context) error {
		pause := minPause
		for {
			started := time.Now()
			err := run(ctx)
			if ctx.Err() != nil {
				return nil
			}
			if time.Since(started) > maxPause {
				pause = minPause // it ran well for a while: this is a new failure
			}
			log.Error(name+" stopped; restarting", "error", err, "after", pause)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pause):
			}
			pause = min(2*pause, maxPause)
		}
	}
}
