package api

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/api/auth"
	"github.com/paidan/paidan/domain"
)

// maxTickets bounds the tickets outstanding at once, so a client minting
// tickets in a loop cannot grow the book without limit.
const maxTickets = 10_000

// ticketBook holds stream tickets: short-lived, single-use stand-ins for a
// bearer token, for browsers' EventSource, which cannot set headers. A ticket
// signs in as the actor that asked for it and nothing else; it lives only in
// this process's memory.
type ticketBook struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	tickets map[string]ticket
}

type ticket struct {
	actor   domain.Actor
	expires time.Time
}

func newTicketBook(ttl time.Duration, now func() time.Time) *ticketBook {
	return &ticketBook{ttl: ttl, now: now, tickets: map[string]ticket{}}
}

// issue returns a new ticket for a, valid for the book's ttl.
func (b *ticketBook) issue(a domain.Actor) (string, time.Time, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("stream ticket: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw[:])
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, t := range b.tickets {
		if !now.Before(t.expires) {
			delete(b.tickets, k)
		}
	}
	if len(b.tickets) >= maxTickets {
		return "", time.Time{}, fmt.Errorf("%w: %d stream tickets are outstanding; use them or wait a minute",
			ErrRateLimited, len(b.tickets))
	}
	exp := now.Add(b.ttl)
	b.tickets[id] = ticket{actor: a, expires: exp}
	return id, exp, nil
}

// redeem returns the ticket's actor and forgets the ticket: a ticket signs
// in once. An unknown, used or expired ticket is ErrUnauthenticated.
func (b *ticketBook) redeem(id string) (domain.Actor, error) {
	b.mu.Lock()
	t, ok := b.tickets[id]
	delete(b.tickets, id)
	b.mu.Unlock()
	switch {
	case !ok:
		return domain.Actor{}, &classed{class: ErrUnauthenticated,
			msg: "the stream ticket is unknown or was already used; ask for a new one with POST " + APIPrefix + "/queue/stream/ticket"}
	case !b.now().Before(t.expires):
		return domain.Actor{}, &classed{class: ErrUnauthenticated,
			msg: fmt.Sprintf("the stream ticket expired at %s; ask for a new one with POST %s/queue/stream/ticket",
				t.expires.UTC().Format(time.RFC3339), APIPrefix)}
	}
	return t.actor, nil
}

type ticketBody struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
	// URL is the stream's address with the ticket, ready for EventSource.
	URL string `json:"url"`
}

// issueTicket: POST /queue/stream/ticket (coordinator, admin) → {ticket,
// expires_at, url}: pass it as ?ticket= to GET /queue/stream within the
// ticket's lifetime, once.
func (r *ReadRoutes) issueTicket(c echo.Context) error {
	actor, err := Actor(c)
	if err != nil {
		return err
	}
	id, exp, err := r.tickets.issue(actor)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, ticketBody{Ticket: id, ExpiresAt: exp.UTC(), URL: APIPrefix + "/queue/stream?ticket=" + id})
}

// streamSignIn signs a stream request in by its bearer token, or else by a
// ?ticket=.
func (r *ReadRoutes) streamSignIn(s *Server) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withToken := s.authenticate(next)
		return func(c echo.Context) error {
			req := c.Request()
			tk := c.QueryParam("ticket")
			if req.Header.Get(echo.HeaderAuthorization) != "" || tk == "" {
				return withToken(c)
			}
			actor, err := r.tickets.redeem(tk)
			if err != nil {
				return err
			}
			c.SetRequest(req.WithContext(auth.WithActor(req.Context(), actor)))
			return next(c)
		}
	}
}
