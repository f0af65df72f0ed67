package projections

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/paidan/paidan/eventstore"
)

// SourceConfig configures a Source.
type SourceConfig struct {
	// StartFrom returns the position a topic's subscription resumes after
	// (exclusive): for a projection, its committed checkpoint. Required. It is
	// called at Subscribe and again after every Nack, so a consumer that lost
	// uncommitted work is redelivered everything after what it committed.
	StartFrom func(ctx context.Context, topic string) (eventstore.Position, error)
	// ReadAhead is how many subscription messages may wait, received but not
	// yet delivered; optional, default 4096.
	ReadAhead int
	// MinBackoff and MaxBackoff bound the wait before resubscribing after the
	// store dropped a subscription or was unavailable; optional, defaults
	// 50ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// OnCaughtUp is called when a topic's subscription has delivered every
	// event stored when it started; optional.
	OnCaughtUp func(topic string)
	// Accepts returns, for a topic, which event types its consumer reads;
	// optional (nil, or a nil func for a topic: every event). Other events
	// are not delivered: a checkpoint message past them is, when nothing
	// further is buffered or every maxSkipped events, so the consumer's
	// position still follows the log.
	Accepts func(topic string) func(eventType string) bool
	// Logger is optional.
	Logger watermill.LoggerAdapter
}

func (c *SourceConfig) setDefaults() {
	if c.ReadAhead == 0 {
		c.ReadAhead = 4096
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 50 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
}

// Validate reports every problem of the configuration.
func (c SourceConfig) Validate() error {
	var errs []error
	if c.StartFrom == nil {
		errs = append(errs, errors.New("source: StartFrom is required"))
	}
	if c.ReadAhead < 0 {
		errs = append(errs, fmt.Errorf("source: ReadAhead must be at least 0, got %d", c.ReadAhead))
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("source: backoff must satisfy 0 <= MinBackoff <= MaxBackoff, got %v and %v", c.MinBackoff, c.MaxBackoff))
	}
	return errors.Join(errs...)
}

// Source is a watermill Subscriber over the store's $all subscription. Every
// Subscribe is an independent subscription from StartFrom(topic), so each
// projection (one topic each) reads the log at its own pace.
//
// Delivery is one message at a time: the next message is sent only after the
// previous one was acked, which keeps global order. A Nack means the consumer
// dropped uncommitted work: the Source resubscribes from StartFrom(topic). A
// subscription the store drops (ErrSubscriptionDropped, ErrUnavailable) is
// resumed with backoff after the last acked position.
type Source struct {
	store eventstore.Store
	cfg   SourceConfig

	mu      sync.Mutex
	closed  bool
	done    chan struct{}
	wg      sync.WaitGroup
	rewinds map[string]chan struct{} // by topic: see Rewind
}

var _ message.Subscriber = (*Source)(nil)

// NewSource returns a Source reading store.
func NewSource(store eventstore.Store, cfg SourceConfig) (*Source, error) {
	if store == nil {
		return nil, errors.New("source: store is required")
	}
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Source{store: store, cfg: cfg, done: make(chan struct{}), rewinds: map[string]chan struct{}{}}, nil
}

// Subscribe starts delivering the log after StartFrom(topic). The channel is
// closed when ctx is cancelled or Close is called.
func (s *Source) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("source: subscribe to %q: %w", topic, eventstore.ErrClosed)
	}
	from, err := s.cfg.StartFrom(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("source: start position of %q: %w", topic, err)
	}
	out := make(chan *message.Message)
	rewind, ok := s.rewinds[topic]
	if !ok {
		rewind = make(chan struct{}, 1)
		s.rewinds[topic] = rewind
	}
	ctx, cancel := context.WithCancel(ctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		<-s.done
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer cancel()
		s.deliver(ctx, topic, from, out, rewind)
	}()
	return out, nil
}

// Rewind makes topic's subscription resume after StartFrom(topic), as after
// a Nack, even though no message is in flight: a consumer that lost work it
// had acked (a timed commit failed) is otherwise redelivered nothing until
// the log grows. Unknown topics are ignored.
func (s *Source) Rewind(topic string) {
	s.mu.Lock()
	ch := s.rewinds[topic]
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- struct{}{}:
	default: // a rewind is pending already
	}
}

// Close ends every subscription and waits for their goroutines.
func (s *Source) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// maxSkipped bounds how many events a topic's filter drops in a row before
// a checkpoint past them is delivered anyway: a projection catching up
// through events it does not read still shows progress and commits it.
const maxSkipped = 1024

type recvResult struct {
	msg eventstore.Message
	err error
}

// deliver runs subscriptions for one topic until ctx ends, resubscribing after
// drops and nacks.
func (s *Source) deliver(ctx context.Context, topic string, from eventstore.Position, out chan<- *message.Message, rewind <-chan struct{}) {
	backoff := s.cfg.MinBackoff
	fields := watermill.LogFields{"topic": topic}
	for ctx.Err() == nil {
		next, nacked, err := s.runOnce(ctx, topic, from, out, rewind)
		if ctx.Err() != nil {
			return
		}
		if next > from {
			backoff = s.cfg.MinBackoff
		}
		if nacked {
			p, perr := s.cfg.StartFrom(ctx, topic)
			if perr != nil {
				err = perr
			} else {
				next = p
			}
		}
		from = next
		if err != nil {
			s.cfg.Logger.Error("projection source: subscription ended; resubscribing", err,
				fields.Add(watermill.LogFields{"from": uint64(from), "backoff": backoff}))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

// runOnce runs one store subscription from the exclusive position from. It
// returns the position after which to resume, whether a message was nacked,
// and the error that ended it.
func (s *Source) runOnce(ctx context.Context, topic string, from eventstore.Position, out chan<- *message.Message, rewind <-chan struct{}) (eventstore.Position, bool, error) {
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := s.store.SubscribeAll(subCtx, eventstore.SubscribeOptions{From: from})
	if err != nil {
		return from, false, err
	}
	defer sub.Close()

	buf := make(chan recvResult, s.cfg.ReadAhead)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			m, err := sub.Recv()
			select {
			case buf <- recvResult{m, err}:
			case <-subCtx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		sub.Close()
		<-readerDone
	}()

	var accept func(string) bool
	if s.cfg.Accepts != nil {
		accept = s.cfg.Accepts(topic)
	}
	last := from
	// send delivers msg and waits for its ack; it returns false with the
	// outcome runOnce returns when the subscription is to end.
	send := func(msg *message.Message, pos eventstore.Position) (ok, nacked bool, err error) {
		msg.Metadata.Set(KeyBuffered, strconv.Itoa(len(buf)))
		msgCtx, msgCancel := context.WithCancel(ctx)
		defer msgCancel()
		msg.SetContext(msgCtx)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false, false, ctx.Err()
		}
		select {
		case <-msg.Acked():
		case <-msg.Nacked():
			return false, true, nil
		case <-ctx.Done():
			return false, false, ctx.Err()
		}
		last = max(last, pos)
		return true, false, nil
	}
	// skippedTo is the last event the filter dropped, while no later
	// message has been delivered (0: none).
	var skippedTo eventstore.Position
	skipped := 0
	for {
		var r recvResult
		select {
		case r = <-buf:
		case <-rewind:
			return last, true, nil
		case <-ctx.Done():
			return last, false, ctx.Err()
		}
		if r.err != nil {
			return last, false, r.err
		}
		var msg *message.Message
		pos := r.msg.Position
		switch r.msg.Kind {
		case eventstore.EventAppeared:
			if accept != nil && !accept(r.msg.Event.Type) {
				skippedTo, skipped = pos, skipped+1
				if len(buf) > 0 && skipped < maxSkipped {
					continue // what follows moves the consumer past it
				}
				msg = newControlMessage(KindCheckpoint, pos)
				break
			}
			msg = newEventMessage(r.msg.Event)
		case eventstore.CheckpointReached:
			msg = newControlMessage(KindCheckpoint, pos)
		case eventstore.CaughtUp:
			if skippedTo > last {
				// The consumer commits at caught-up: it must stand past
				// the dropped events first, or readers waiting for the
				// head would wait for the next event it reads.
				if ok, nacked, err := send(newControlMessage(KindCheckpoint, skippedTo), skippedTo); !ok {
					return last, nacked, err
				}
			}
			msg, pos = newControlMessage(KindCaughtUp, last), last
			if s.cfg.OnCaughtUp != nil {
				s.cfg.OnCaughtUp(topic)
			}
		default:
			continue
		}
		skippedTo, skipped = 0, 0
		if ok, nacked, err := send(msg, pos); !ok {
			return last, nacked, err
		}
	}
}
