//go:build !unix

package embedded

// fileLock is a no-op where flock is not available; one process per file is
// then the operator's responsibility.
type fileLock struct{}

func lockFile(string) (*fileLock, error) { return &fileLock{}, nil }

func (*fileLock) unlock() error { return nil }
