package dispatcher_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/paidan/paidan/app/dispatcher"
	"github.com/paidan/paidan/domain"
)

func TestCollectorsReportStats(t *testing.T) {
	e := newEnv(t, dispatcher.DefaultConfig())
	e.threeTeams()
	e.place(domain.CategoryErrand)
	e.place(domain.CategoryLegal)
	e.drain()
	reg := prometheus.NewRegistry()
	for _, c := range e.d.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		if m.GetCounter() != nil {
			got[f.GetName()] = m.GetCounter().GetValue()
		} else {
			got[f.GetName()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"paidan_dispatcher_triggers_total": 2, "paidan_dispatcher_offers_total": 1,
		"paidan_dispatcher_escalations_total": 1, "paidan_dispatcher_failed_total": 0,
		"paidan_dispatcher_caught_up": 0, // Drain does not make the dispatcher live
	}
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s: expected %v, found %v (present %v)", name, v, g, ok)
		}
	}
}
