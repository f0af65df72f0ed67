package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrInvalidQuery: a query's parameters are out of range (an unknown
// dimension, a malformed cursor). The API answers 400/422.
var ErrInvalidQuery = errors.New("invalid read-model query")

// ReaderConfig configures a Reader.
type ReaderConfig struct {
	// Lag reports how far a projection at pos is behind the log's head;
	// optional (Pipeline.Lag). Without it results report no lag.
	Lag func(projection string, pos uint64) (uint64, float64)
	// WaitBound flags placed or escalated orders waiting for an offer longer
	// than this; optional, default 10m.
	WaitBound time.Duration
	// ExpiringWithin flags offers expiring within this; optional, default 2m.
	ExpiringWithin time.Duration
	// ServiceBound flags accepted orders not completed after this; optional,
	// default 24h.
	ServiceBound time.Duration
	// MaxPageSize caps queue pages; optional, default 200.
	MaxPageSize int
}

func (c *ReaderConfig) setDefaults() {
	if c.WaitBound == 0 {
		c.WaitBound = 10 * time.Minute
	}
	if c.ExpiringWithin == 0 {
		c.ExpiringWithin = 2 * time.Minute
	}
	if c.ServiceBound == 0 {
		c.ServiceBound = 24 * time.Hour
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = 200
	}
}

// Validate reports every problem of the configuration.
func (c ReaderConfig) Validate() error {
	var errs []error
	if c.WaitBound < 0 || c.ExpiringWithin < 0 || c.ServiceBound < 0 {
		errs = append(errs, errors.New("reader: bounds must not be negative"))
	}
	if c.MaxPageSize < 0 {
		errs = append(errs, fmt.Errorf("reader: MaxPageSize must be at least 1, got %d", c.MaxPageSize))
	}
	return errors.Join(errs...)
}

// Reader answers the API's and the dispatcher's queries from the read
// models. Every result carries the Freshness of the projection it came from,
// read in the same snapshot as the rows.
type Reader struct {
	v   *Views
	cfg ReaderConfig
}

// NewReader returns a Reader over v.
func NewReader(v *Views, cfg ReaderConfig) (*Reader, error) {
	if v == nil {
		return nil, errors.New("reader: views are required")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Reader{v: v, cfg: cfg}, nil
}

// read runs f in one read snapshot together with the projection's checkpoint.
func (r *Reader) read(ctx context.Context, projection string, f func(tx snapshot) error) (Freshness, error) {
	var opts *sql.TxOptions
	if r.v.dialect == Postgres {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := r.v.read.BeginTx(ctx, opts)
	if err != nil {
		return Freshness{}, fmt.Errorf("read %s: %w", projection, err)
	}
	var missed []string
	defer func() {
		tx.Rollback()
		if len(missed) > 0 {
			r.v.prepareMissed(ctx, missed)
		}
	}()
	snap := snapshot{tx: tx, v: r.v, missed: &missed}
	var pos int64
	if err := snap.QueryRowContext(ctx, `SELECT position FROM projection_checkpoints WHERE name = $1`, projection).Scan(&pos); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Freshness{}, fmt.Errorf("%w: %q has no checkpoint; has the pipeline run?", ErrUnknownProjection, projection)
		}
		return Freshness{}, fmt.Errorf("read %s checkpoint: %w", projection, err)
	}
	if err := f(snap); err != nil {
		return Freshness{}, err
	}
	fr := Freshness{Position: uint64(pos)}
	if r.cfg.Lag != nil {
		fr.Lag, fr.LagSeconds = r.cfg.Lag(projection, fr.Position)
	}
	return fr, nil
}

// timePtr turns stored milliseconds into a time, nil for NULL/0.
func timePtr(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := time.UnixMilli(v).UTC()
	return &t
}

func rate(num, den int64) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}
