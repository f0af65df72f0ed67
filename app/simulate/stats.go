package simulate

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Stats counts what became of the simulated orders.
type Stats struct {
	Placed    int64 `json:"placed"`
	Offered   int64 `json:"offered"` // orders offered at least once
	Accepted  int64 `json:"accepted"`
	Declined  int64 `json:"declined"` // offers declined
	Ignored   int64 `json:"ignored"`  // offers left to expire
	Completed int64 `json:"completed"`
	Rated     int64 `json:"rated"`
	Cancelled int64 `json:"cancelled"`
	Escalated int64 `json:"escalated"`
	// Stuck orders did not reach an end within Config.OrderTimeout; Failed
	// ones met an error that was not a lost race.
	Stuck  int64 `json:"stuck"`
	Failed int64 `json:"failed"`
	// Offers counts every offer made to the orders that ended; Undecided
	// the automatic ones without a decision record.
	Offers    int64         `json:"offers"`
	Undecided int64         `json:"undecided"`
	Elapsed   time.Duration `json:"elapsed_ns"`
}

// Ended is how many orders reached an end: completed (then rated or not),
// cancelled or escalated.
func (s Stats) Ended() int64 { return s.Completed + s.Cancelled + s.Escalated }

// String is the progress line.
func (s Stats) String() string {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Ended()) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("placed %d  offered %d  accepted %d  completed %d  rated %d  escalated %d  cancelled %d  stuck %d  failed %d  | %.1f orders/s",
		s.Placed, s.Offered, s.Accepted, s.Completed, s.Rated, s.Escalated, s.Cancelled, s.Stuck, s.Failed, rate)
}

type counters struct {
	placed, offered, accepted, declined, ignored, completed, rated atomic.Int64
	cancelled, escalated, stuck, failed, offers, undecided         atomic.Int64
}

func (c *counters) snapshot(elapsed time.Duration) Stats {
	return Stats{
		Placed: c.placed.Load(), Offered: c.offered.Load(), Accepted: c.accepted.Load(),
		Declined: c.declined.Load(), Ignored: c.ignored.Load(), Completed: c.completed.Load(),
		Rated: c.rated.Load(), Cancelled: c.cancelled.Load(), Escalated: c.escalated.Load(),
		Stuck: c.stuck.Load(), Failed: c.failed.Load(), Offers: c.offers.Load(),
		Undecided: c.undecided.Load(), Elapsed: elapsed,
	}
}
