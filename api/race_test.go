package api_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
	"github.com/paidan/paidan/eventstore/embedded"
	"github.com/paidan/paidan/eventstore/memstore"
)

// TestConcurrentAccepts: many members of the offered team accept one offer
// at the same moment. Exactly one wins (200); every other gets 409, and the
// stream holds one OfferAccepted. Run on the in-memory and on the embedded
// store, whose writer commits concurrent appends in groups.
func TestConcurrentAccepts(t *testing.T) {
	stores := map[string]func(t *testing.T) eventstore.Store{
		"memstore": func(t *testing.T) eventstore.Store {
			s, err := memstore.New(memstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"embedded": func(t *testing.T) eventstore.Store {
			s, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			t.Cleanup(func() { store.Close() })
			h := newCmdHarnessOn(t, store)
			team := h.registerTeam(h.station(0).ID, 3, "errand")
			id := h.placeOrder(residentA)
			h.post(coordinator, orderPath(id, "dispatch"), fmt.Sprintf(`{"team_id":%q}`, team), http.StatusOK)

			const n = 24
			codes := make([]int, n)
			bodies := make([]string, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				a := domain.Actor{Subject: fmt.Sprintf("member-%d", i), Role: domain.RoleTeam, TeamID: team}
				tok := h.token(a)
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					rec := h.send(req{method: http.MethodPost, path: orderPath(id, "accept"), token: tok, body: `{}`})
					codes[i], bodies[i] = rec.Code, rec.Body.String()
				}()
			}
			close(start)
			wg.Wait()

			won := 0
			for i, c := range codes {
				switch c {
				case http.StatusOK:
					won++
				case http.StatusConflict:
				default:
					t.Errorf("accept %d: %d %s; want 200 or 409", i, c, bodies[i])
				}
			}
			if won != 1 {
				t.Fatalf("%d accepts succeeded, want exactly 1 (codes %v)", won, codes)
			}
			l := h.events(id)
			accepted := 0
			for _, typ := range l {
				if typ == domain.EventTypeOfferAccepted {
					accepted++
				}
			}
			if accepted != 1 || len(l) != 3 {
				t.Fatalf("stream holds %v; want OrderPlaced, OrderOffered and one OfferAccepted", l)
			}
		})
	}
}
