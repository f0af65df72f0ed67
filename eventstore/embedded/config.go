package embedded

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the store. The zero Config is valid: every field is optional
// and Open fills in the defaults below.
type Config struct {
	// MaxBatchEvents bounds the events one group commit writes; optional,
	// default 512. An append larger than the bound is committed on its own.
	MaxBatchEvents int
	// QueueLength is how many appends may wait for the writer before Append
	// blocks; optional, default 1024.
	QueueLength int
	// HeadCacheStreams bounds how many stream heads the writer keeps in memory;
	// optional, default 100,000. Evicted heads are reloaded from the file.
	HeadCacheStreams int
	// RingEvents and RingBytes bound the recently committed events kept in
	// memory for live subscribers; optional, defaults 8,192 events and 32 MiB.
	RingEvents int
	RingBytes  int
	// ReadConns is the size of each of the two read-only connection pools:
	// one for stream reads, one for $all reads and subscriptions; optional,
	// default 4.
	ReadConns int
	// SubscriptionPage is how many events a catching-up subscription reads per
	// query; optional, default 256.
	SubscriptionPage int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing; optional, default 5s.
	BusyTimeout time.Duration
	// WakeInterval is how often an idle subscription checks for new events in
	// case a wake-up was missed; optional, default 1s. Subscribers are woken by
	// every commit, so this is a safety net, not the delivery path.
	WakeInterval time.Duration
}

// Defaults of Config.
const (
	DefaultMaxBatchEvents   = 512
	DefaultQueueLength      = 1024
	DefaultHeadCacheStreams = 100_000
	DefaultRingEvents       = 8192
	DefaultRingBytes        = 32 << 20
	DefaultReadConns        = 4
	DefaultSubscriptionPage = 256
	DefaultBusyTimeout      = 5 * time.Second
	DefaultWakeInterval     = time.Second
)

func (c *Config) setDefaults() {
	setDefault(&c.MaxBatchEvents, DefaultMaxBatchEvents)
	setDefault(&c.QueueLength, DefaultQueueLength)
	setDefault(&c.HeadCacheStreams, DefaultHeadCacheStreams)
	setDefault(&c.RingEvents, DefaultRingEvents)
	setDefault(&c.RingBytes, DefaultRingBytes)
	setDefault(&c.ReadConns, DefaultReadConns)
	setDefault(&c.SubscriptionPage, DefaultSubscriptionPage)
	setDefault(&c.BusyTimeout, DefaultBusyTimeout)
	setDefault(&c.WakeInterval, DefaultWakeInterval)
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Validate reports every field out of range; zero fields are valid (they take
// their defaults).
func (c Config) Validate() error {
	var errs []error
	nonNegative := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("embedded: Config.%s must not be negative, got %d", name, v))
		}
	}
	nonNegative("MaxBatchEvents", int64(c.MaxBatchEvents))
	nonNegative("QueueLength", int64(c.QueueLength))
	nonNegative("HeadCacheStreams", int64(c.HeadCacheStreams))
	nonNegative("RingEvents", int64(c.RingEvents))
	nonNegative("RingBytes", int64(c.RingBytes))
	nonNegative("ReadConns", int64(c.ReadConns))
	nonNegative("SubscriptionPage", int64(c.SubscriptionPage))
	nonNegative("BusyTimeout", int64(c.BusyTimeout))
	nonNegative("WakeInterval", int64(c.WakeInterval))
	return errors.Join(errs...)
}
