package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretFileName is the file in the data directory holding the generated
// HS256 secret.
const SecretFileName = "jwt-secret"

// LoadOrCreateSecret returns the HS256 secret: fromEnv when it is set
// (PAIDAN_JWT_SECRET), otherwise the secret in <dataDir>/jwt-secret, which
// is generated on first use (32 random bytes, hex-encoded, mode 0600) and
// reused afterwards, so `paidan serve` and `paidan token` agree. The key is
// the file's text, so copying it into PAIDAN_JWT_SECRET yields the same key.
func LoadOrCreateSecret(dataDir, fromEnv string) ([]byte, error) {
	if fromEnv != "" {
		if len(fromEnv) < MinSecretLength {
			return nil, fmt.Errorf("PAIDAN_JWT_SECRET: expected at least %d bytes, found %d", MinSecretLength, len(fromEnv))
		}
		return []byte(fromEnv), nil
	}
	if dataDir == "" {
		return nil, errors.New("signing secret: no data directory and no PAIDAN_JWT_SECRET")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("signing secret: create data directory: %w", err)
	}
	path := filepath.Join(dataDir, SecretFileName)
	if s, err := readSecret(path); !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	text := hex.EncodeToString(raw)
	// Written whole to a temporary file, then linked into place: link fails
	// if the name exists, so when two processes start at once exactly one
	// secret wins and nobody ever reads a half-written file.
	tmp, err := os.CreateTemp(dataDir, SecretFileName+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	werr := tmp.Chmod(0o600)
	if werr == nil {
		_, werr = tmp.WriteString(text + "\n")
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if err := errors.Join(werr, tmp.Close()); err != nil {
		return nil, fmt.Errorf("signing secret: write %s: %w", tmp.Name(), err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readSecret(path)
	} else if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	return []byte(text), nil
}

func readSecret(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("signing secret %s: mode is %#o, expected 0600 (others must not read it); run chmod 600 %s",
			path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < MinSecretLength {
		return nil, fmt.Errorf("signing secret %s: expected at least %d bytes, found %d", path, MinSecretLength, len(s))
	}
	return []byte(s), nil
}
