package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// TokenFunc mints a bearer token for an actor; the command line mints them
// with the server's secret.
type TokenFunc func(actor domain.Actor) (string, error)

// HTTPConfig says where the server is and how to sign in.
type HTTPConfig struct {
	// URL is the server's base URL (http://127.0.0.1:8080); required.
	URL string
	// Token mints the tokens of the people simulated; required.
	Token TokenFunc
	// Client is optional; default one with a 30s timeout and connections
	// kept for many concurrent users.
	Client *http.Client
	// Watchers is how many auditor identities share the reads of orders'
	// events, so the server's per-subject rate limit does not throttle the
	// simulation; optional, default 64.
	Watchers int
}

// Validate checks the configuration.
func (c HTTPConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); c.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("simulate: URL: expected http(s)://host[:port], found %q", c.URL))
	}
	if c.Token == nil {
		errs = append(errs, errors.New("simulate: Token: required"))
	}
	if c.Watchers < 0 {
		errs = append(errs, fmt.Errorf("simulate: Watchers: expected zero (default) or more, found %d", c.Watchers))
	}
	return errors.Join(errs...)
}

// HTTP drives a running server through its JSON API.
type HTTP struct {
	base     string
	token    TokenFunc
	client   *http.Client
	watchers int

	mu     sync.Mutex
	tokens map[domain.Actor]string
}

var _ Driver = (*HTTP)(nil)

// NewHTTP builds the HTTP driver.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 256
		cfg.Client = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	if cfg.Watchers == 0 {
		cfg.Watchers = 64
	}
	return &HTTP{base: strings.TrimRight(cfg.URL, "/") + "/api/v1", token: cfg.Token, client: cfg.Client,
		watchers: cfg.Watchers, tokens: map[domain.Actor]string{}}, nil
}

// HTTPError is a refusal from the server. It unwraps to the domain error
// class of its status, so callers test it like an in-process refusal.
type HTTPError struct {
	Status  int
	Code    string
	Message string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap maps the status to its domain class (DESIGN.md's error table).
func (e *HTTPError) Unwrap() error {
	switch e.Status {
	case http.StatusForbidden:
		return domain.ErrForbidden
	case http.StatusNotFound:
		return domain.ErrNotFound
	case http.StatusConflict:
		return domain.ErrConflict
	case http.StatusUnprocessableEntity:
		return domain.ErrInvalid
	}
	return nil
}

func (d *HTTP) bearer(a domain.Actor) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.tokens[a]; ok {
		return t, nil
	}
	t, err := d.token(a)
	if err != nil {
		return "", fmt.Errorf("simulate: token for %s %s: %w", a.Role, a.Subject, err)
	}
	d.tokens[a] = t
	return t, nil
}

// do sends one request as actor and decodes a 2xx answer into out. 429 and
// 503 are retried a few times after a pause.
func (d *HTTP) do(ctx context.Context, actor domain.Actor, method, path, idemKey string, body, out any) error {
	tok, err := d.bearer(actor)
	if err != nil {
		return err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	pause := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, d.base+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return fmt.Errorf("simulate: %s %s: %w", method, path, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("simulate: %s %s: read the answer: %w", method, path, err)
		}
		if resp.StatusCode/100 == 2 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("simulate: %s %s: decode the answer: %w", method, path, err)
			}
			return nil
		}
		if (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) && attempt < 8 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
			pause = min(pause*2, 2*time.Second)
			continue
		}
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(data, &env)
		return fmt.Errorf("simulate: %s %s: %w", method, path, &HTTPError{Status: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message})
	}
}

// RegisterTeam posts the team with its generated id as the idempotency key,
// so registering it again answers with the team the first call created.
func (d *HTTP) RegisterTeam(ctx context.Context, t domain.DistrictTeam) (string, error) {
	body := map[string]any{"name": t.Spec.Name, "station_id": t.Spec.StationID, "skills": t.Spec.Skills, "capacity": t.Spec.Capacity}
	var out struct {
		TeamID string `json:"team_id"`
	}
	if err := d.do(ctx, simCoordinator, http.MethodPost, "/teams", "sim-team-"+t.ID, body, &out); err != nil {
		return "", err
	}
	return out.TeamID, nil
}

func (d *HTTP) PlaceOrder(ctx context.Context, resident string, o NewOrder) (uuid.UUID, error) {
	body := map[string]any{"category": o.Category, "title": o.Title, "details": o.Details, "station_id": o.StationID, "contact": o.Contact}
	var out struct {
		OrderID uuid.UUID `json:"order_id"`
	}
	err := d.do(ctx, residentActor(resident), http.MethodPost, "/orders", "", body, &out)
	return out.OrderID, err
}

// Order reads the order's events, as an auditor, and folds them.
func (d *HTTP) Order(ctx context.Context, id uuid.UUID) (OrderView, error) {
	watcher := domain.Actor{Subject: fmt.Sprintf("sim-auditor-%d", int(id[15])%d.watchers), Role: domain.RoleAuditor}
	var out struct {
		Events []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"events"`
	}
	if err := d.do(ctx, watcher, http.MethodGet, "/orders/"+id.String()+"/events", "", nil, &out); err != nil {
		return OrderView{}, err
	}
	history := make([]domain.Event, 0, len(out.Events))
	for _, ev := range out.Events {
		e, err := domain.UnmarshalEvent(ev.Type, ev.Data)
		if err != nil {
			return OrderView{}, fmt.Errorf("simulate: order %s: %w", id, err)
		}
		history = append(history, e)
	}
	if len(history) == 0 {
		return OrderView{}, fmt.Errorf("simulate: order %s: %w", id, domain.ErrOrderNotFound)
	}
	return viewOf(history)
}

func (d *HTTP) orderCommand(ctx context.Context, a domain.Actor, order uuid.UUID, verb string, body any) error {
	return d.do(ctx, a, http.MethodPost, "/orders/"+order.String()+"/"+verb, "", body, nil)
}

// Accept answers the current offer: the API names no offer, so an offer that
// changed hands meanwhile is refused as another team's.
func (d *HTTP) Accept(ctx context.Context, team string, order, _ uuid.UUID) error {
	return d.orderCommand(ctx, memberActor(team), order, "accept", struct{}{})
}

func (d *HTTP) Decline(ctx context.Context, team string, order, _ uuid.UUID, reason string) error {
	return d.orderCommand(ctx, memberActor(team), order, "decline", map[string]string{"reason": reason})
}

func (d *HTTP) Start(ctx context.Context, team string, order uuid.UUID) error {
	return d.orderCommand(ctx, memberActor(team), order, "start", struct{}{})
}

func (d *HTTP) Complete(ctx context.Context, team string, order uuid.UUID, hours float64, notes string) error {
	return d.orderCommand(ctx, memberActor(team), order, "complete", map[string]any{"volunteer_hours": hours, "notes": notes})
}

func (d *HTTP) Rate(ctx context.Context, resident string, order uuid.UUID, stars int, comment string) error {
	return d.orderCommand(ctx, residentActor(resident), order, "rate", map[string]any{"stars": stars, "comment": comment})
}

func (d *HTTP) Cancel(ctx context.Context, resident string, order uuid.UUID, reason string) error {
	return d.orderCommand(ctx, residentActor(resident), order, "cancel", map[string]string{"reason": reason})
}
