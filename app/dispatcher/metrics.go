package dispatcher

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collectors exposes Stats to Prometheus as counters named
// paidan_dispatcher_<what>_total, and CaughtUp as the gauge
// paidan_dispatcher_caught_up. Register them once per dispatcher.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	counter := func(name, help string, f func(Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "paidan", Subsystem: "dispatcher", Name: name + "_total", Help: help,
		}, func() float64 { return float64(f(d.Stats())) })
	}
	return []prometheus.Collector{
		counter("triggers", "Trigger events handled.", func(s Stats) int64 { return s.Handled }),
		counter("offers", "Automatic offers made.", func(s Stats) int64 { return s.Offered }),
		counter("escalations", "Orders escalated to the coordinators.", func(s Stats) int64 { return s.Escalated }),
		counter("expiries", "Offers expired by the timer.", func(s Stats) int64 { return s.Expired }),
		counter("withdrawals", "Offers withdrawn from suspended teams.", func(s Stats) int64 { return s.Withdrawn }),
		counter("redelivered", "Triggers found already handled.", func(s Stats) int64 { return s.Redelivered }),
		counter("superseded", "Triggers left alone because the order had moved on.", func(s Stats) int64 { return s.Superseded }),
		counter("failed", "Trigger events given up after repeated failures.", func(s Stats) int64 { return s.Failed }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "paidan", Subsystem: "dispatcher", Name: "caught_up",
			Help: "1 once the dispatcher has handled the log as it stood when it started.",
		}, func() float64 {
			if d.CaughtUp() {
				return 1
			}
			return 0
		}),
	}
}
