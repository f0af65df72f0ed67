package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/paidan/paidan/api"
	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// Phases of a run. Only commands answered while phaseMeasure holds count
// towards the throughput and latency figures, and only lag probes of
// commands answered while phaseLag holds towards the projection lag.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseLagSettle
	phaseLag
	phaseStop
)

// e2eTokenTTL outlives any run.
const e2eTokenTTL = 24 * time.Hour

// e2eResidents is how many residents place the orders. The server limits
// each signed-in subject's request rate (50/s), so the load is spread over
// many people, as it would be in a district.
const e2eResidents = 4096

// e2eLoad drives lifecycles against the server from many clients.
type e2eLoad struct {
	base    string
	client  *http.Client
	minter  *auth.HMAC
	teams   []domain.DistrictTeam
	offers  *offerWatcher
	phase   atomic.Int32
	limiter *rate.Limiter // paces commands in the lag phases

	residents []string // tokens, by resident index
	teamToks  sync.Map // team id → token

	probes     sync.WaitGroup
	probeEvery uint64        // one lag-phase command in probeEvery is probed
	paced      atomic.Uint64 // lag-phase commands answered 2xx
	lagMu      sync.Mutex
	lags       []time.Duration
	stale      int
}

// clientStats is one client's tally; merged after the run.
type clientStats struct {
	commands   []time.Duration // latencies of 2xx commands while measuring
	lifecycles int
	offerLat   []time.Duration // OrderOffered time − OrderPlaced time
	offerSeen  []time.Duration // place answered → offer seen on the stream
	errors     map[string]int  // by status ("409", "transport", "offer_timeout", …)
	readBacks  int             // offers looked for by reading the order
}

func (s *clientStats) fail(what string) {
	if s.errors == nil {
		s.errors = map[string]int{}
	}
	s.errors[what]++
}

func newE2ELoad(base string, client *http.Client, minter *auth.HMAC, teams []domain.DistrictTeam, offers *offerWatcher, lagRate float64, probeEvery int) (*e2eLoad, error) {
	l := &e2eLoad{base: base + api.APIPrefix, client: client, minter: minter, teams: teams, offers: offers,
		residents: make([]string, e2eResidents), probeEvery: uint64(max(probeEvery, 1))}
	if lagRate > 0 {
		l.limiter = rate.NewLimiter(rate.Limit(lagRate), 1)
	}
	for i := range l.residents {
		tok, err := minter.Mint(domain.Actor{Subject: fmt.Sprintf("bench-resident-%d", i), Role: domain.RoleResident}, e2eTokenTTL)
		if err != nil {
			return nil, err
		}
		l.residents[i] = tok
	}
	return l, nil
}

func (l *e2eLoad) teamToken(teamID string) (string, error) {
	if t, ok := l.teamToks.Load(teamID); ok {
		return t.(string), nil
	}
	tok, err := l.minter.Mint(domain.Actor{Subject: "bench-team-" + teamID, Role: domain.RoleTeam, TeamID: teamID}, e2eTokenTTL)
	if err != nil {
		return "", err
	}
	l.teamToks.Store(teamID, tok)
	return tok, nil
}

// registerTeams registers the district's teams over HTTP with workers
// coordinators at once, each its own subject (the per-subject rate limit).
func registerTeams(ctx context.Context, base string, client *http.Client, minter *auth.HMAC, teams []domain.DistrictTeam, workers int) error {
	next := atomic.Int64{}
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			tok, err := minter.Mint(domain.Actor{Subject: fmt.Sprintf("bench-coordinator-%d", w), Role: domain.RoleCoordinator}, e2eTokenTTL)
			if err != nil {
				errs <- err
				return
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(teams) || ctx.Err() != nil {
					errs <- ctx.Err()
					return
				}
				t := teams[i]
				body, _ := json.Marshal(map[string]any{"name": t.Spec.Name, "station_id": t.Spec.StationID,
					"skills": t.Spec.Skills, "capacity": t.Spec.Capacity})
				for attempt := 0; ; attempt++ {
					st, _, raw, err := post(ctx, client, base+api.APIPrefix+"/teams", tok, body)
					if err == nil && st == http.StatusCreated {
						break
					}
					if err == nil && st == http.StatusTooManyRequests && attempt < 20 {
						time.Sleep(100 * time.Millisecond) // the server asked to slow down
						continue
					}
					errs <- fmt.Errorf("bench e2e: register team %s: expected 201, found %d %s: %v", t.ID, st, raw, err)
					return
				}
			}
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// post sends one JSON command and returns its status, X-Paidan-Position and
// body.
func post(ctx context.Context, client *http.Client, url, token string, body []byte) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header["Authorization"] = []string{"Bearer " + token}
	req.Header["Content-Type"] = []string{"application/json"}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get(api.HeaderPosition), raw, err
}

// runClient drives lifecycles until the phase is phaseStop or ctx ends.
func (l *e2eLoad) runClient(ctx context.Context, seed uint64, st *clientStats) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for ctx.Err() == nil && l.phase.Load() != phaseStop {
		l.lifecycle(ctx, r, st)
	}
}

var (
	completeBody = []byte(`{"volunteer_hours":1.5,"notes":"served at the door"}`)
	rateBody     = []byte(`{"stars":5,"comment":"prompt and kind"}`)
	acceptBody   = []byte(`{}`)
)

// lifecycle is one order: place → (automatic offer) → accept → complete →
// rate. A refused step ends it, counted by status.
func (l *e2eLoad) lifecycle(ctx context.Context, r *rand.Rand, st *clientStats) {
	resident := r.IntN(len(l.residents))
	rtok := l.residents[resident]
	// An order at a team's own station, in one of its skills, always has a
	// same-station candidate with room (capacities are raised).
	t := l.teams[r.IntN(len(l.teams))]
	cat := t.Spec.Skills[r.IntN(len(t.Spec.Skills))]
	place, _ := json.Marshal(map[string]string{"category": string(cat), "title": "bench order",
		"details": "end-to-end benchmark", "station_id": t.Spec.StationID, "contact": "138-0000-0000"})

	raw, placedAt, ok := l.command(ctx, st, "/orders", rtok, rtok, "", place, http.StatusCreated)
	if !ok {
		return
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	if err := json.Unmarshal(raw, &placed); err != nil || placed.OrderID == "" {
		st.fail("bad_body")
		return
	}
	offer, ok := l.awaitOffer(ctx, st, placed.OrderID, rtok)
	if !ok {
		if ctx.Err() == nil {
			st.fail("offer_timeout")
		}
		return
	}
	if offer.Status != "offered" {
		st.fail("offer_" + offer.Status)
		return
	}
	if l.phase.Load() == phaseMeasure && !offer.Seen.IsZero() {
		st.offerLat = append(st.offerLat, offer.Latency)
		st.offerSeen = append(st.offerSeen, offer.Seen.Sub(placedAt))
	}
	ttok, err := l.teamToken(offer.TeamID)
	if err != nil {
		st.fail("token")
		return
	}
	path := "/orders/" + placed.OrderID
	for _, step := range []struct {
		verb string
		tok  string
		body []byte
	}{{"/accept", ttok, acceptBody}, {"/complete", ttok, completeBody}, {"/rate", rtok, rateBody}} {
		if _, _, ok := l.command(ctx, st, path+step.verb, step.tok, rtok, placed.OrderID, step.body, http.StatusOK); !ok {
			return
		}
	}
	if l.phase.Load() == phaseMeasure {
		st.lifecycles++
	}
}

// awaitOffer waits for the order's offer on the queue stream. When the
// stream says it may have lost changes, or nothing came for a while, it
// reads the order instead (an offer found so has no Seen time).
func (l *e2eLoad) awaitOffer(ctx context.Context, st *clientStats, orderID, tok string) (e2eOffer, bool) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		o, got, _ := l.offers.await(wctx, orderID)
		cancel()
		if got {
			return o, true
		}
		if ctx.Err() != nil {
			return e2eOffer{}, false
		}
		// The stream lost changes or was quiet: read the order.
		st.readBacks++
		if o, ok := l.readOffer(ctx, orderID, tok); ok {
			return o, true
		}
	}
	return e2eOffer{}, false
}

// readOffer reads the order's status and team from the orders read model.
func (l *e2eLoad) readOffer(ctx context.Context, orderID, tok string) (e2eOffer, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+"/orders/"+orderID, nil)
	if err != nil {
		return e2eOffer{}, false
	}
	req.Header["Authorization"] = []string{"Bearer " + tok}
	resp, err := l.client.Do(req)
	if err != nil {
		return e2eOffer{}, false
	}
	defer resp.Body.Close()
	var v struct {
		Status string `json:"status"`
		TeamID string `json:"team_id"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil {
		return e2eOffer{}, false
	}
	if v.Status == "offered" || v.Status == "escalated" {
		return e2eOffer{Status: v.Status, TeamID: v.TeamID}, true
	}
	return e2eOffer{}, false
}

// command sends one command and records it. In the lag phases it first
// waits for the pacer, and after a 2xx starts a probe of how long the
// orders projection takes to reach the command's position; probeTok reads
// orderID (empty: the order is in the answer, which the probe cannot know
// yet, so the caller passes it for later steps only).
func (l *e2eLoad) command(ctx context.Context, st *clientStats, path, tok, probeTok, orderID string, body []byte, want int) ([]byte, time.Time, bool) {
	ph := l.phase.Load()
	if l.limiter != nil && (ph == phaseLagSettle || ph == phaseLag) {
		if err := l.limiter.Wait(ctx); err != nil {
			return nil, time.Time{}, false
		}
	}
	start := time.Now()
	status, pos, raw, err := post(ctx, l.client, l.base+path, tok, body)
	done := time.Now()
	if err != nil {
		if ctx.Err() == nil {
			st.fail("transport")
		}
		return nil, done, false
	}
	ph = l.phase.Load()
	if status != want {
		st.fail(strconv.Itoa(status))
		return nil, done, false
	}
	if ph == phaseMeasure {
		st.commands = append(st.commands, done.Sub(start))
	}
	if ph == phaseLag && pos != "" && l.paced.Add(1)%l.probeEvery == 0 {
		if orderID == "" {
			var placed struct {
				OrderID string `json:"order_id"`
			}
			_ = json.Unmarshal(raw, &placed)
			orderID = placed.OrderID
		}
		l.probes.Add(1)
		go l.probe(ctx, probeTok, orderID, pos, done)
	}
	return raw, done, true
}

// probe reads the order at the command's position: the server answers once
// the orders projection committed it. The lag is measured from the
// command's answer to the read's, so it includes one read's round trip.
func (l *e2eLoad) probe(ctx context.Context, tok, orderID, pos string, answered time.Time) {
	defer l.probes.Done()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+"/orders/"+orderID, nil)
	if err != nil {
		return
	}
	req.Header["Authorization"] = []string{"Bearer " + tok}
	req.Header[api.HeaderMinPosition] = []string{pos}
	resp, err := l.client.Do(req)
	if err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	lag := time.Since(answered)
	l.lagMu.Lock()
	defer l.lagMu.Unlock()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(api.HeaderStale) != "" {
		l.stale++
		return
	}
	l.lags = append(l.lags, lag)
}
