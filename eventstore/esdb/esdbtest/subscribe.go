package esdbtest

import (
	"math"
	"regexp"
	"strings"

	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// batchSize bounds how many records a subscription copies under the log's
// lock at a time.
const batchSize = 256

// defaultWindow is the server's search window when the client sends count{}.
const defaultWindow = 32

func confirmation(id string) *streamsapi.ReadResp {
	return &streamsapi.ReadResp{Content: &streamsapi.ReadResp_Confirmation{
		Confirmation: &streamsapi.ReadResp_SubscriptionConfirmation{SubscriptionId: id},
	}}
}

var caughtUp = &streamsapi.ReadResp{Content: &streamsapi.ReadResp_CaughtUp_{CaughtUp: &streamsapi.ReadResp_CaughtUp{}}}

func checkpoint(p uint64) *streamsapi.ReadResp {
	return &streamsapi.ReadResp{Content: &streamsapi.ReadResp_Checkpoint_{Checkpoint: &streamsapi.ReadResp_Checkpoint{
		CommitPosition: p, PreparePosition: p,
	}}}
}

// subscribeStream is a catch-up subscription to one stream (§3.5): the
// confirmation first, then history after the exclusive start, caught_up,
// then live events. Each round re-reads the stream from the next revision
// under the log's lock and then waits for the next commit, so nothing falls
// between catch-up and live.
func (s *streamsService) subscribeStream(o *streamsapi.ReadReq_Options_StreamOptions, enc encoder, rs streamsapi.Streams_ReadServer) (err error) {
	name := string(o.GetStreamIdentifier().GetStreamName())
	last, tombstoned := s.srv.log.lastRevision(name)
	if tombstoned {
		return streamDeletedError(streamTrailers(rs), name)
	}
	var next uint64
	switch {
	case o.GetStart() != nil:
		next = 0
	case o.GetEnd() != nil:
		next = uint64(last + 1)
	default:
		next = o.GetRevision() + 1
	}
	id := uuidString(newID())
	s.srv.subscriptionStarted()
	defer func() { s.srv.subscriptionEnded(id, err) }()
	if err := rs.Send(confirmation(id)); err != nil {
		return err
	}
	sentCaughtUp := false
	for {
		v := s.srv.log.viewStream(name, next)
		for _, r := range v.events {
			if err := rs.Send(enc.event(r)); err != nil {
				return err
			}
			next = r.revision + 1
		}
		if len(v.events) > 0 {
			continue
		}
		if v.tombstone != nil {
			if err := rs.Send(enc.event(v.tombstone)); err != nil {
				return err
			}
			return streamDeletedError(streamTrailers(rs), name)
		}
		if !sentCaughtUp {
			if err := rs.Send(caughtUp); err != nil {
				return err
			}
			sentCaughtUp = true
		}
		select {
		case <-rs.Context().Done():
			return rs.Context().Err()
		case <-v.changed:
		}
	}
}

// filter is a server-side $all filter (§3.1): prefixes match with StartsWith,
// a regex matches anywhere.
type filter struct {
	onType   bool
	prefixes []string
	re       *regexp.Regexp
	interval int
}

func newFilter(o *streamsapi.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	expr := o.GetStreamIdentifier()
	f := &filter{}
	if expr == nil {
		expr, f.onType = o.GetEventType(), true
	}
	if expr == nil {
		return nil, status.Error(codes.InvalidArgument, "a filter needs a stream_identifier or event_type expression")
	}
	f.prefixes = expr.GetPrefix()
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "invalid filter regex %q: %v", expr.GetRegex(), err)
		}
		f.re = re
	}
	if o.GetCheckpointIntervalMultiplier() == 0 {
		return nil, status.Error(codes.InvalidArgument, "checkpointIntervalMultiplier must be at least 1")
	}
	window := defaultWindow
	if m := o.GetMax(); m > 0 {
		window = int(m)
	}
	f.interval = window * int(o.GetCheckpointIntervalMultiplier())
	return f, nil
}

func (f *filter) match(r *record) bool {
	subject := r.stream
	if f.onType {
		subject = r.eventType
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// subscribeAll is a catch-up subscription to $all (§3.5). With a filter it
// sends a checkpoint every interval considered events, and one just before
// caught_up. Where the real server sends (MaxUint64, MaxUint64) when nothing
// was delivered during a catch-up from the start, this server sends the last
// considered position (the start when none), an equally valid resume point,
// unless Config.MaxCheckpointAfterEmptyCatchUp asks for the real behaviour.
func (s *streamsService) subscribeAll(o *streamsapi.ReadReq_Options_AllOptions, f *filter, enc encoder, rs streamsapi.Streams_ReadServer) (err error) {
	log := s.srv.log
	var next int
	var considered uint64
	switch {
	case o.GetStart() != nil:
	case o.GetEnd() != nil:
		next, considered = log.head()
	default:
		p := o.GetPosition().GetCommitPosition()
		next, considered = log.index(p, false), p
	}
	id := uuidString(newID())
	s.srv.subscriptionStarted()
	defer func() { s.srv.subscriptionEnded(id, err) }()
	if err := rs.Send(confirmation(id)); err != nil {
		return err
	}
	sentCaughtUp := false
	sinceCheckpoint := 0
	delivered := false
	// floor suppresses checkpoints below it, as the real server does after
	// its (MaxUint64, MaxUint64) checkpoint.
	var floor uint64
	sendCheckpoint := func(p uint64) error {
		if p < floor {
			return nil
		}
		return rs.Send(checkpoint(p))
	}
	for {
		batch, changed := log.allFrom(next, batchSize)
		for _, r := range batch {
			next++
			considered = r.position
			if f == nil || f.match(r) {
				if err := rs.Send(enc.event(r)); err != nil {
					return err
				}
				delivered = true
			}
			if f != nil {
				if sinceCheckpoint++; sinceCheckpoint >= f.interval {
					if err := sendCheckpoint(considered); err != nil {
						return err
					}
					sinceCheckpoint = 0
				}
			}
		}
		if len(batch) > 0 {
			continue
		}
		if !sentCaughtUp {
			if f != nil {
				p := considered
				if s.srv.cfg.MaxCheckpointAfterEmptyCatchUp && o.GetStart() != nil && !delivered {
					p, floor = math.MaxUint64, math.MaxUint64
				}
				if err := rs.Send(checkpoint(p)); err != nil {
					return err
				}
				sinceCheckpoint = 0
			}
			if err := rs.Send(caughtUp); err != nil {
				return err
			}
			sentCaughtUp = true
		}
		select {
		case <-rs.Context().Done():
			return rs.Context().Err()
		case <-changed:
		}
	}
}
