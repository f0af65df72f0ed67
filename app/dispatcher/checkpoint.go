package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/paidan/paidan/eventstore"
)

// MemCheckpoint keeps the position in memory: for tests, and for a
// dispatcher that may read the whole log again after a restart.
type MemCheckpoint struct {
	mu  sync.Mutex
	pos eventstore.Position
}

var _ Checkpoint = (*MemCheckpoint)(nil)

// Load returns the last saved position.
func (c *MemCheckpoint) Load(context.Context) (eventstore.Position, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pos, nil
}

// Save keeps pos.
func (c *MemCheckpoint) Save(_ context.Context, pos eventstore.Position) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pos = pos
	return nil
}

// FileCheckpoint keeps the position in a file (in the data directory beside
// the embedded store), replaced atomically on each save.
type FileCheckpoint struct {
	path string
	mu   sync.Mutex
}

var _ Checkpoint = (*FileCheckpoint)(nil)

// NewFileCheckpoint keeps the checkpoint at path; its directory must exist.
func NewFileCheckpoint(path string) (*FileCheckpoint, error) {
	if path == "" {
		return nil, errors.New("dispatcher checkpoint: path: required")
	}
	return &FileCheckpoint{path: path}, nil
}

// Load reads the saved position; a missing file is eventstore.Start.
func (c *FileCheckpoint) Load(context.Context) (eventstore.Position, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return eventstore.Start, nil
	}
	if err != nil {
		return 0, fmt.Errorf("dispatcher checkpoint: %w", err)
	}
	p, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("dispatcher checkpoint %s: expected a decimal position, found %q", c.path, b)
	}
	return eventstore.Position(p), nil
}

// Save writes pos to a temporary file, syncs it and renames it over the
// checkpoint, so a crash leaves the old position or the new one.
func (c *FileCheckpoint) Save(_ context.Context, pos eventstore.Position) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := os.CreateTemp(filepath.Dir(c.path), filepath.Base(c.path)+".*")
	if err != nil {
		return fmt.Errorf("dispatcher checkpoint: %w", err)
	}
	tmp := f.Name()
	_, err = f.WriteString(strconv.FormatUint(uint64(pos), 10) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("dispatcher checkpoint: save %d: %w", pos, err)
	}
	return nil
}
