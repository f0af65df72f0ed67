package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
)

// supervised starts a component again after each failure and returns nil
// once its context ends; the task's stop returns what run returned.
func TestSupervisedRestartsUntilStopped(t *testing.T) {
	var runs atomic.Int32
	running := make(chan struct{})
	run := func(ctx context.Context) error {
		if runs.Add(1) < 3 {
			return errors.New("store unavailable")
		}
		close(running)
		<-ctx.Done()
		return ctx.Err()
	}
	tk := startTask(context.Background(), supervised("test", slog.New(slog.NewTextHandler(io.Discard, nil)), run))
	<-running // the third run: two failures were followed by restarts
	if tk.finished() {
		t.Fatal("the supervised task finished while its run was still going")
	}
	if err := tk.stop(); err != nil {
		t.Errorf("stop: expected nil once the context ended, found %v", err)
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("expected 3 runs (2 failed, 1 stopped), found %d", n)
	}
	if !tk.finished() {
		t.Error("the task is not finished after stop")
	}
}

// A task's context is its own: cancelling the parent does not stop it, so
// serve decides when each part stops.
func TestTaskOutlivesItsParentContext(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	proceed, seen := make(chan struct{}), make(chan error)
	want := errors.New("stopped by stop")
	tk := startTask(parent, func(ctx context.Context) error {
		<-proceed
		seen <- ctx.Err()
		<-ctx.Done()
		return want
	})
	cancel() // propagates to children before it returns
	close(proceed)
	if err := <-seen; err != nil {
		t.Fatalf("the task's context ended with its parent's: %v", err)
	}
	if err := tk.stop(); !errors.Is(err, want) {
		t.Errorf("stop: expected run's own error, found %v", err)
	}
}
