package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmetrics "github.com/ThreeDotsLabs/watermill/components/metrics"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/eventstore"
)

// Decoder turns a recorded event into the value models receive in
// Event.Decoded. It returns nil and no error for events it does not know
// (other streams' events pass through unchanged) and an error for a known
// event it cannot read, which parks that event.
type Decoder func(ev *Event) (any, error)

// FailPoint names a place in a batch commit where tests inject failures.
type FailPoint string

const (
	// FailBeforeCheckpoint: the rows are written, the checkpoint is not.
	FailBeforeCheckpoint FailPoint = "before_checkpoint"
	// FailBeforeCommit: rows and checkpoint are written, not committed.
	FailBeforeCommit FailPoint = "before_commit"
	// FailAfterCommit: committed, but the message is not acked.
	FailAfterCommit FailPoint = "after_commit"
)

// PipelineConfig configures a Pipeline.
type PipelineConfig struct {
	// Projections to run; required.
	Projections []Definition
	// Decode decodes events once for all models; optional (models then see
	// Decoded == nil and read Data themselves).
	Decode Decoder
	// BatchSize caps the events of one transaction; optional, default 1000.
	BatchSize int
	// BatchInterval caps how long a batch stays open while more events are
	// buffered; optional, default 200ms.
	BatchInterval time.Duration
	// LiveLinger is how long a batch with nothing more buffered (the
	// projection is live) waits for further events before it commits;
	// optional, default 0 (commit at once). A few milliseconds trade that
	// much freshness for far fewer commits when the log is busy.
	LiveLinger time.Duration
	// CacheRows is how many rows (roughly 1 KiB each) a projection keeps
	// cached between batches before forgetting them and reading rows back
	// as needed; optional, default 20000.
	CacheRows int
	// MaxRetries is how often a failing event is retried before it is parked;
	// optional, default 3. RetryInterval is the first backoff (doubling,
	// capped at 1s); optional, default 20ms.
	MaxRetries    int
	RetryInterval time.Duration
	// Registerer receives the projection and watermill metrics; optional,
	// default prometheus.DefaultRegisterer.
	Registerer prometheus.Registerer
	// Logger is optional.
	Logger watermill.LoggerAdapter
	// FailAt injects failures into batch commits; tests only.
	FailAt func(projection string, p FailPoint) error
	// Source tunes the store subscriptions; StartFrom and OnCaughtUp are set
	// by the Pipeline.
	Source SourceConfig
}

func (c *PipelineConfig) setDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.BatchInterval == 0 {
		c.BatchInterval = 200 * time.Millisecond
	}
	if c.CacheRows == 0 {
		c.CacheRows = 20_000
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = 3
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = 20 * time.Millisecond
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
}

// Validate reports every problem of the configuration.
func (c PipelineConfig) Validate() error {
	var errs []error
	if err := validateDefinitions(c.Projections); err != nil {
		errs = append(errs, err)
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("pipeline: BatchSize must be at least 1, got %d", c.BatchSize))
	}
	if c.BatchInterval <= 0 {
		errs = append(errs, fmt.Errorf("pipeline: BatchInterval must be positive, got %v", c.BatchInterval))
	}
	if c.LiveLinger < 0 || c.LiveLinger > c.BatchInterval {
		errs = append(errs, fmt.Errorf("pipeline: LiveLinger must be between 0 and BatchInterval (%v), got %v", c.BatchInterval, c.LiveLinger))
	}
	if c.MaxRetries < 1 {
		errs = append(errs, fmt.Errorf("pipeline: MaxRetries must be at least 1, got %d", c.MaxRetries))
	}
	return errors.Join(errs...)
}

// Pipeline runs every projection as a handler of one watermill Router fed by
// a Source over the store, with Recoverer, bounded Retry and a poison path
// that parks an event failing in one projection while the others go on.
type Pipeline struct {
	store   eventstore.Store
	views   *Views
	cfg     PipelineConfig
	metrics *metrics
	runners map[string]*runner
	order   []string

	mu      sync.Mutex
	running bool
}

// NewPipeline prepares the projections; Run starts them.
func NewPipeline(store eventstore.Store, views *Views, cfg PipelineConfig) (*Pipeline, error) {
	if store == nil || views == nil {
		return nil, errors.New("pipeline: store and views are required")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("pipeline: metrics: %w", err)
	}
	p := &Pipeline{store: store, views: views, cfg: cfg, metrics: m, runners: map[string]*runner{}}
	bc := batchConfig{size: cfg.BatchSize, interval: cfg.BatchInterval, linger: cfg.LiveLinger, cacheRows: cfg.CacheRows}
	decode := cfg.Decode
	if decode != nil {
		decode = newSharedDecoder(decode)
	}
	for _, d := range cfg.Projections {
		r := newRunner(d, views, decode, bc, m)
		r.fail = cfg.FailAt
		p.runners[d.Name] = r
		p.order = append(p.order, d.Name)
	}
	return p, nil
}

// Run migrates the read models and follows the log until ctx is cancelled.
// It returns nil after a cancellation, having committed what was applied.
func (p *Pipeline) Run(ctx context.Context) (err error) {
	defer func() {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			err = nil
		}
	}()
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("pipeline: already running")
	}
	p.running = true
	p.mu.Unlock()

	if err := p.views.Migrate(ctx, p.cfg.Projections...); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	for _, name := range p.order {
		r := p.runners[name]
		cp, err := p.views.Checkpoint(ctx, name)
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		r.ctx = context.WithoutCancel(ctx)
		r.pending = eventstore.Position(cp)
		r.setCommitted(eventstore.Position(cp))
	}

	scfg := p.cfg.Source
	scfg.Logger = p.cfg.Logger
	scfg.StartFrom = func(ctx context.Context, topic string) (eventstore.Position, error) {
		cp, err := p.views.Checkpoint(ctx, topic)
		return eventstore.Position(cp), err
	}
	scfg.Accepts = func(topic string) func(string) bool {
		if r, ok := p.runners[topic]; ok && r.def.Types != nil {
			return r.def.consumes
		}
		return nil
	}
	source, err := NewSource(p.store, scfg)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	defer source.Close()
	for _, name := range p.order {
		r := p.runners[name]
		r.work.Lock() // a Rebuild may already be rebasing it
		r.rewindSource = func() { source.Rewind(name) }
		r.work.Unlock()
	}

	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, p.cfg.Logger)
	if err != nil {
		return fmt.Errorf("pipeline: router: %w", err)
	}
	wmetrics.NewPrometheusMetricsBuilder(p.cfg.Registerer, "paidan", "projections").AddPrometheusRouterMetrics(router)

	poison, err := middleware.PoisonQueueWithFilter(parker{p}, "parked_events", parkable)
	if err != nil {
		return fmt.Errorf("pipeline: poison queue: %w", err)
	}
	retry := middleware.Retry{
		MaxRetries:      p.cfg.MaxRetries,
		InitialInterval: p.cfg.RetryInterval,
		MaxInterval:     time.Second,
		Multiplier:      2,
		ShouldRetry:     func(rp middleware.RetryParams) bool { return parkable(rp.Err) },
		Logger:          p.cfg.Logger,
	}
	// Outermost first: a panic becomes an error (Recoverer), is retried
	// (Retry), and is parked when retries are exhausted (poison).
	router.AddMiddleware(poison, retry.Middleware, middleware.Recoverer)
	for _, name := range p.order {
		router.AddNoPublisherHandler(name, name, source, p.runners[name].handle)
	}

	timerCtx, stopTimers := context.WithCancel(context.WithoutCancel(ctx))
	var timers sync.WaitGroup
	for _, name := range p.order {
		timers.Add(1)
		go func() {
			defer timers.Done()
			p.runners[name].timer(timerCtx)
		}()
	}
	runErr := router.Run(ctx)
	stopTimers()
	timers.Wait()
	// Handlers have returned: commit what the last batches applied.
	var errs []error
	for _, name := range p.order {
		if err := p.runners[name].flushNow(); err != nil {
			errs = append(errs, err)
		}
	}
	if runErr != nil {
		return fmt.Errorf("pipeline: %w", runErr)
	}
	return errors.Join(errs...)
}

// parkable tells errors worth retrying and parking (the event's own fault)
// from lost batches, which are redelivered instead.
func parkable(err error) bool { return !errors.Is(err, errBatchLost) }

// parker is the poison queue's publisher: it records the message in
// parked_events in the failing projection's batch.
type parker struct{ p *Pipeline }

func (k parker) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		name := msg.Metadata.Get(middleware.PoisonedHandlerKey)
		r, ok := k.p.runners[name]
		if !ok {
			return fmt.Errorf("park: %w: handler %q", ErrUnknownProjection, name)
		}
		k.p.cfg.Logger.Error("projection: parking event", errors.New(msg.Metadata.Get(middleware.ReasonForPoisonedKey)),
			watermill.LogFields{"projection": name, "position": msg.Metadata.Get(KeyPosition), "type": msg.Metadata.Get(KeyType)})
		if err := r.park(msg, msg.Metadata.Get(middleware.ReasonForPoisonedKey)); err != nil {
			return err
		}
	}
	return nil
}

func (parker) Close() error { return nil }

// Ready reports whether every projection has caught up with the log at least
// once since Run started: the readiness check.
func (p *Pipeline) Ready() bool {
	for _, r := range p.runners {
		if !r.caughtUp.Load() {
			return false
		}
	}
	return true
}

// Position returns a projection's committed position as this process knows it.
func (p *Pipeline) Position(name string) (eventstore.Position, error) {
	r, ok := p.runners[projectionOf(name)]
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
	}
	return r.position(), nil
}

// WaitFor blocks until the named projections (every projection when none is
// named) have committed position pos or later, or ctx ends. The API uses it
// to answer "after my command" reads without sleeping: pass the position the
// command's append returned.
func (p *Pipeline) WaitFor(ctx context.Context, pos eventstore.Position, only ...string) error {
	names := only
	if len(names) == 0 {
		names = p.order
	}
	for _, n := range names {
		r, ok := p.runners[projectionOf(n)]
		if !ok {
			return fmt.Errorf("%w: %q", ErrUnknownProjection, n)
		}
		if err := r.wait(ctx, pos); err != nil {
			return err
		}
	}
	return nil
}

// Names lists the projections in configuration order.
func (p *Pipeline) Names() []string { return append([]string(nil), p.order...) }
