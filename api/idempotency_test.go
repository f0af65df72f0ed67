package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paidan/paidan/api"
)

// TestIdempotencyKeyRetry: a retry with the same key returns the first
// answer byte for byte, with the same ETag, and appends nothing, even after
// the order has moved on; the same key from another person, or for another
// command, is another command.
func TestIdempotencyKeyRetry(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(0).ID
	team := h.registerTeam(st, 3, "errand")
	key := map[string]string{"Idempotency-Key": "a1b2c3-retry"}

	first := h.send(req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA, body: placeBody(st), header: key})
	if first.Code != http.StatusCreated {
		t.Fatalf("place: %d %s", first.Code, first.Body)
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(first.Body.Bytes(), &placed)
	id := placed.OrderID

	assertReplay := func(t *testing.T, first *httptest.ResponseRecorder, r req) {
		t.Helper()
		before := h.head()
		again := h.send(r)
		if again.Code != first.Code || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) ||
			again.Header().Get("ETag") != first.Header().Get("ETag") {
			t.Fatalf("retry: %d %s ETag %s; want the first answer %d %s ETag %s", again.Code, again.Body,
				again.Header().Get("ETag"), first.Code, first.Body, first.Header().Get("ETag"))
		}
		if again.Header().Get(api.HeaderIdempotentReplayed) != "true" {
			t.Errorf("retry without %s: true", api.HeaderIdempotentReplayed)
		}
		if h.head() != before {
			t.Fatalf("retry appended: head %d → %d", before, h.head())
		}
	}

	t.Run("place", func(t *testing.T) {
		assertReplay(t, first, req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA, body: placeBody(st), header: key})
	})
	t.Run("same key, another resident", func(t *testing.T) {
		other := h.post(residentB, api.APIPrefix+"/orders", placeBody(st), http.StatusCreated)
		rec := h.send(req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentB, body: placeBody(st), header: key})
		var got map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &got)
		if rec.Code != http.StatusCreated || got["order_id"] == id || got["order_id"] == other["order_id"] {
			t.Fatalf("another resident's key: %d %v; want a new order, not %s", rec.Code, got, id)
		}
	})

	dispatch := req{method: http.MethodPost, path: orderPath(id, "dispatch"), as: &coordinator,
		body: fmt.Sprintf(`{"team_id":%q}`, team), header: key}
	firstDispatch := h.send(dispatch)
	if firstDispatch.Code != http.StatusOK {
		t.Fatalf("dispatch: %d %s", firstDispatch.Code, firstDispatch.Body)
	}
	accept := req{method: http.MethodPost, path: orderPath(id, "accept"), as: ptr(member(team)), body: `{}`, header: key}
	firstAccept := h.send(accept)
	if firstAccept.Code != http.StatusOK {
		t.Fatalf("accept: %d %s", firstAccept.Code, firstAccept.Body)
	}
	h.post(member(team), orderPath(id, "start"), `{}`, http.StatusOK)
	h.clock.Advance(time.Hour)

	t.Run("dispatch after the order moved on", func(t *testing.T) { assertReplay(t, firstDispatch, dispatch) })
	t.Run("accept after the order moved on", func(t *testing.T) { assertReplay(t, firstAccept, accept) })
	t.Run("place after the order moved on", func(t *testing.T) {
		assertReplay(t, first, req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA, body: placeBody(st), header: key})
	})
	t.Run("without a key a repeat is a new command", func(t *testing.T) {
		before := h.head()
		rec := h.send(req{method: http.MethodPost, path: orderPath(id, "accept"), as: ptr(member(team)), body: `{}`})
		if rec.Code != http.StatusConflict || h.head() != before {
			t.Fatalf("accept again without a key: %d %s; want 409 and nothing appended", rec.Code, rec.Body)
		}
	})
}

// TestIdempotencyKeyConcurrent: requests racing with the same key all get
// the one order, and only one OrderPlaced is stored.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(0).ID
	before := h.head()
	const n = 12
	codes, bodies := placeConcurrently(h, n, "same-key", func(int) string { return placeBody(st) })
	for i := range n {
		if codes[i] != http.StatusCreated || bodies[i] != bodies[0] {
			t.Fatalf("request %d: %d %s; want 201 %s like the first", i, codes[i], bodies[i], bodies[0])
		}
	}
	if h.head() != before+1 {
		t.Fatalf("head %d → %d; want exactly one event appended", before, h.head())
	}
}

// TestIfMatch: a command naming the current revision proceeds; one naming
// a stale revision gets 412 and appends nothing.
func TestIfMatch(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(0).ID
	team := h.registerTeam(st, 3, "errand")
	id := h.placeOrder(residentA)

	rec := h.send(req{method: http.MethodPost, path: orderPath(id, "dispatch"), as: &coordinator,
		body: fmt.Sprintf(`{"team_id":%q}`, team), header: map[string]string{"If-Match": `"0"`}})
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") != `"1"` {
		t.Fatalf("dispatch with the current revision: %d %s ETag %s; want 200 and ETag \"1\"", rec.Code, rec.Body, rec.Header().Get("ETag"))
	}
	for _, stale := range []string{`"0"`, `"7"`, `0`} {
		before := h.head()
		rec = h.send(req{method: http.MethodPost, path: orderPath(id, "cancel"), as: &residentA,
			body: `{"reason":"x"}`, header: map[string]string{"If-Match": stale}})
		if rec.Code != http.StatusPreconditionFailed || errorCode(rec) != api.CodePreconditionFailed {
			t.Fatalf("If-Match %s at revision 1: %d %s; want 412 %s", stale, rec.Code, rec.Body, api.CodePreconditionFailed)
		}
		if h.head() != before {
			t.Fatalf("412 appended: head %d → %d", before, h.head())
		}
	}
	rec = h.send(req{method: http.MethodPost, path: orderPath(id, "cancel"), as: &residentA,
		body: `{"reason":"x"}`, header: map[string]string{"If-Match": `"1"`}})
	if rec.Code != http.StatusOK {
		t.Fatalf("cancel with the current revision: %d %s", rec.Code, rec.Body)
	}
}

// TestIdempotencyKeyReusedWithOtherParameters: a request with the key of an
// earlier one but other parameters is refused with 422 and appends nothing,
// also by a server that has just started (the fingerprint is read from the
// stored events); the same parameters spelled differently are a retry.
func TestIdempotencyKeyReusedWithOtherParameters(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(0).ID
	team := h.registerTeam(st, 3, "errand")
	other := h.registerTeam(st, 3, "errand")
	key := map[string]string{"Idempotency-Key": "reused-key-1"}
	place := req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA, body: placeBody(st), header: key}
	first := h.send(place)
	if first.Code != http.StatusCreated {
		t.Fatalf("place: %d %s", first.Code, first.Body)
	}
	var placed struct {
		OrderID string `json:"order_id"`
	}
	_ = json.Unmarshal(first.Body.Bytes(), &placed)

	refused := func(t *testing.T, h *cmdHarness, r req) {
		t.Helper()
		before := h.head()
		rec := h.send(r)
		var got struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &got)
		if rec.Code != http.StatusUnprocessableEntity || got.Error.Code != api.CodeIdempotencyReused {
			t.Fatalf("reused key: %d %s; want 422 %s", rec.Code, rec.Body, api.CodeIdempotencyReused)
		}
		if h.head() != before {
			t.Fatalf("reused key appended: head %d → %d", before, h.head())
		}
	}
	changed := place
	changed.body = otherPlaceBody(st)
	t.Run("place with another title", func(t *testing.T) { refused(t, h, changed) })

	respelled := place
	respelled.body = fmt.Sprintf(`{ "contact":"138-0000-0000", "station_id":%q, "details":"请帮忙到社区医院取降压药", "title":"取药", "category":"errand" }`, st)
	t.Run("the same parameters spelled otherwise", func(t *testing.T) {
		again := h.send(respelled)
		if again.Code != first.Code || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) ||
			again.Header().Get(api.HeaderIdempotentReplayed) != "true" {
			t.Fatalf("respelled retry: %d %s; want the first answer %d %s, replayed", again.Code, again.Body, first.Code, first.Body)
		}
	})

	dkey := map[string]string{"Idempotency-Key": "reused-key-2"}
	dispatch := req{method: http.MethodPost, path: orderPath(placed.OrderID, "dispatch"), as: &coordinator,
		body: fmt.Sprintf(`{"team_id":%q}`, team), header: dkey}
	if rec := h.send(dispatch); rec.Code != http.StatusOK {
		t.Fatalf("dispatch: %d %s", rec.Code, rec.Body)
	}
	toOther := dispatch
	toOther.body = fmt.Sprintf(`{"team_id":%q}`, other)
	t.Run("dispatch to another team", func(t *testing.T) { refused(t, h, toOther) })

	t.Run("after a restart", func(t *testing.T) {
		restarted := newCmdHarnessOn(t, h.store)
		refused(t, restarted, changed)
		refused(t, restarted, toOther)
		again := restarted.send(place)
		if again.Code != first.Code || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) {
			t.Fatalf("retry after a restart: %d %s; want the first answer %d %s", again.Code, again.Body, first.Code, first.Body)
		}
	})
}

// TestIdempotencyKeyConcurrentOtherParameters: requests racing with one key
// and two sets of parameters store one order; those with the stored
// parameters get it, the others 422, whichever came first.
func TestIdempotencyKeyConcurrentOtherParameters(t *testing.T) {
	h := newCmdHarness(t)
	st := h.station(0).ID
	before := h.head()
	bodies := []string{placeBody(st), otherPlaceBody(st)}
	const n = 12
	codes, answers := placeConcurrently(h, n, "raced-key", func(i int) string { return bodies[i%2] })
	if h.head() != before+1 {
		t.Fatalf("head %d → %d; want exactly one event appended", before, h.head())
	}
	winner := -1
	for i := range n {
		if codes[i] == http.StatusCreated {
			winner = i % 2
			break
		}
	}
	if winner < 0 {
		t.Fatalf("no request got the order: %v", codes)
	}
	for i := range n {
		want := http.StatusCreated
		if i%2 != winner {
			want = http.StatusUnprocessableEntity
		}
		if codes[i] != want {
			t.Errorf("request %d (parameters %d; %d stored): %d %s; want %d", i, i%2, winner, codes[i], answers[i], want)
		}
	}
}

// otherPlaceBody is an order at st other than placeBody's.
func otherPlaceBody(st string) string {
	return fmt.Sprintf(`{"category":"errand","title":"买菜","details":"请帮忙买一周的菜","station_id":%q,"contact":"138-0000-0000"}`, st)
}

// placeConcurrently sends n place-order requests at once with one key, the
// i-th with body(i), and returns each one's status and answer.
func placeConcurrently(h *cmdHarness, n int, key string, body func(i int) string) ([]int, []string) {
	codes, answers := make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := h.send(req{method: http.MethodPost, path: api.APIPrefix + "/orders", as: &residentA,
				body: body(i), header: map[string]string{"Idempotency-Key": key}})
			codes[i], answers[i] = rec.Code, rec.Body.String()
		}()
	}
	wg.Wait()
	return codes, answers
}
