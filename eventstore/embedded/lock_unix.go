//go:build unix

package embedded

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock keeps a second process (or a second Open in this one) from running
// another writer on the same file: two writers would each trust their own
// head cache. The kernel drops the lock when the process dies, even by kill -9.
type fileLock struct{ f *os.File }

func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: lock %s: %v", ErrLocked, path, err)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

func (l *fileLock) unlock() error {
	return l.f.Close()
}
