package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// e2eOffer is what a client needs to know about its order's offer.
type e2eOffer struct {
	Status string
	TeamID string
	// Latency is the OrderOffered event's time minus OrderPlaced's, as the
	// queue row carries them.
	Latency time.Duration
	// Seen is when the bench received the change.
	Seen time.Time
}

// offerWatcher follows the coordinators' queue stream (Server-Sent Events)
// and hands each order's offer to the client waiting for it. One stream for
// every client costs the server far less than each client polling its
// order, and it involves no fixed sleeps: the server pushes the change once
// the queue projection applied it.
type offerWatcher struct {
	url    string
	token  string
	client *http.Client

	mu      sync.Mutex
	waiting map[string]chan e2eOffer
	early   map[string]e2eOffer // offers seen before their client asked
	lastID  uint64
	resets  int
	// lost is closed, and replaced, when the stream said changes were lost
	// (a reset) or broke: waiting clients read their order instead.
	lost chan struct{}
}

func newOfferWatcher(url, token string, client *http.Client) *offerWatcher {
	return &offerWatcher{url: url, token: token, client: client,
		waiting: map[string]chan e2eOffer{}, early: map[string]e2eOffer{}, lost: make(chan struct{})}
}

// run reads the stream until ctx ends, reconnecting after its last event
// id when the stream breaks. ready is closed once the first stream answered.
func (w *offerWatcher) run(ctx context.Context, ready chan<- struct{}) {
	once := sync.Once{}
	for ctx.Err() == nil {
		_ = w.stream(ctx, func() { once.Do(func() { close(ready) }) })
		w.signalLost()
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (w *offerWatcher) stream(ctx context.Context, opened func()) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url+"/api/v1/queue/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+w.token)
	w.mu.Lock()
	if w.lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(w.lastID, 10))
	}
	w.mu.Unlock()
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("queue stream: expected 200, found %d", resp.StatusCode)
	}
	opened()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var event string
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			event = string(line[len("event: "):])
		case bytes.HasPrefix(line, []byte("id: ")):
			if id, err := strconv.ParseUint(string(line[len("id: "):]), 10, 64); err == nil {
				w.mu.Lock()
				w.lastID = id
				w.mu.Unlock()
			}
		case bytes.HasPrefix(line, []byte("data: ")):
			switch event {
			case "change":
				w.change(line[len("data: "):])
			case "reset":
				w.mu.Lock()
				w.resets++
				w.mu.Unlock()
				w.signalLost()
			}
		}
	}
	return sc.Err()
}

var (
	statusOffered   = []byte(`"status":"offered"`)
	statusEscalated = []byte(`"status":"escalated"`)
)

// change handles one queue change. Only offers and escalations matter;
// the byte test spares decoding the others.
func (w *offerWatcher) change(data []byte) {
	if !bytes.Contains(data, statusOffered) && !bytes.Contains(data, statusEscalated) {
		return
	}
	var c struct {
		OrderID string `json:"order_id"`
		Row     *struct {
			Status   string    `json:"status"`
			TeamID   string    `json:"team_id"`
			PlacedAt time.Time `json:"placed_at"`
			SinceAt  time.Time `json:"since_at"`
		} `json:"row"`
	}
	if err := json.Unmarshal(data, &c); err != nil || c.Row == nil {
		return
	}
	o := e2eOffer{Status: c.Row.Status, TeamID: c.Row.TeamID, Latency: c.Row.SinceAt.Sub(c.Row.PlacedAt), Seen: time.Now()}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.waiting[c.OrderID]; ok {
		delete(w.waiting, c.OrderID)
		ch <- o
		return
	}
	w.early[c.OrderID] = o
}

// signalLost wakes every waiting client to read its order: an offer may
// have gone by unseen.
func (w *offerWatcher) signalLost() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.lost)
	w.lost = make(chan struct{})
}

// await returns the order's offer (or escalation) once the stream carried
// it (true, true); or false, true when the stream may have lost it; or
// false, false when ctx ended first.
func (w *offerWatcher) await(ctx context.Context, orderID string) (e2eOffer, bool, bool) {
	w.mu.Lock()
	if o, ok := w.early[orderID]; ok {
		delete(w.early, orderID)
		w.mu.Unlock()
		return o, true, true
	}
	ch := make(chan e2eOffer, 1)
	w.waiting[orderID] = ch
	lost := w.lost
	w.mu.Unlock()
	forget := func() {
		w.mu.Lock()
		delete(w.waiting, orderID)
		w.mu.Unlock()
	}
	select {
	case o := <-ch:
		return o, true, true
	case <-lost:
		forget()
		return e2eOffer{}, false, true
	case <-ctx.Done():
		forget()
		return e2eOffer{}, false, false
	}
}

// resetCount is how many times the stream said changes were lost.
func (w *offerWatcher) resetCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.resets
}
