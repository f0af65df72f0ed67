package projections

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the projection-level series; watermill adds its own router and
// subscriber series (components/metrics) beside them.
type metrics struct {
	position *prometheus.GaugeVec
	lag      *prometheus.GaugeVec
	events   *prometheus.CounterVec
	parked   *prometheus.CounterVec
	eventLag *prometheus.HistogramVec
}

// EventLagBuckets are the bounds (seconds) of paidan_projection_event_lag_seconds:
// fine around the 10 ms a live read model should stay within.
var EventLagBuckets = []float64{.0005, .001, .0015, .002, .003, .004, .005, .006, .008, .01, .0125, .015, .02,
	.03, .05, .075, .1, .25, .5, 1, 2.5, 5, 10}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		position: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paidan_projection_position",
			Help: "Global log position up to which the projection's read model is committed.",
		}, []string{"projection"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "paidan_projection_lag_seconds",
			Help: "Seconds between the store committing the last event of the projection's latest batch and the read model committing it.",
		}, []string{"projection"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paidan_projection_events_total",
			Help: "Events applied to the projection's read model (live; rebuilds excluded).",
		}, []string{"projection"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paidan_projection_parked_total",
			Help: "Events the projection could not apply and parked in parked_events.",
		}, []string{"projection"}),
		eventLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paidan_projection_event_lag_seconds",
			Help:    "For every event a live projection applies: seconds from the store committing it to the read model committing it (events replayed while catching up are not counted).",
			Buckets: EventLagBuckets,
		}, []string{"projection"}),
	}
	var err error
	if m.eventLag, err = register(reg, m.eventLag); err != nil {
		return nil, err
	}
	if m.position, err = register(reg, m.position); err != nil {
		return nil, err
	}
	if m.lag, err = register(reg, m.lag); err != nil {
		return nil, err
	}
	if m.events, err = register(reg, m.events); err != nil {
		return nil, err
	}
	if m.parked, err = register(reg, m.parked); err != nil {
		return nil, err
	}
	return m, nil
}

// register adds c to reg, or returns the collector already registered under
// the same description (several pipelines in one process share series).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
