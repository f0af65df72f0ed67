package api

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// verifyPage is how many events one read of the log returns while hashing.
const verifyPage = 4096

// verifyBody is GET /audit/verify's answer.
type verifyBody struct {
	// Through is the last position hashed; Events how many events were.
	Through uint64 `json:"through"`
	Events  uint64 `json:"events"`
	// Hash is the hex SHA-256 chain over those events (see chainHash).
	Hash string `json:"hash"`
	// Algorithm names the chain, so a recorded hash says how to recompute it.
	Algorithm string `json:"algorithm"`
	// Matches is set when ?expect= was given: whether Hash equals it.
	Matches *bool `json:"matches,omitempty"`
}

// chainAlgorithm names the hash chain; change it if the hashed fields change.
const chainAlgorithm = "paidan-chain-sha256-v1"

// auditVerify: GET /audit/verify?through=P&expect=HEX (auditor, admin) →
// the hash chain over $all from the start through position P (the head
// when absent). An auditor records (through, hash) pairs, say daily, and
// later asks for the same position: a different hash means an event at or
// before it was altered, removed or inserted. With expect= the answer says
// whether it matches. At most MaxReplayEvents events are hashed.
func (r *ReadRoutes) auditVerify(c echo.Context) error {
	if r.deps.Store == nil {
		return errUnavailable("audit verification is not available on this server")
	}
	through := uint64(0)
	if v := c.QueryParam("through"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return fmt.Errorf("%w: through: expected a position of the log (1 or more), found %q", ErrMalformedRequest, v)
		}
		through = n
	}
	expect := c.QueryParam("expect")
	if expect != "" {
		if b, err := hex.DecodeString(expect); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%w: expect: expected a hash as this endpoint gives it (64 hex digits), found %q", ErrMalformedRequest, expect)
		}
	}
	body, err := r.chain(c.Request().Context(), through)
	if err != nil {
		return err
	}
	if expect != "" {
		m := expect == body.Hash
		body.Matches = &m
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, body)
}

// chain hashes the log through position through (0: to the head). Each link
// is SHA-256(previous link ‖ the event's position, stream, revision, id,
// type, commit time, data and metadata, each length-prefixed), starting
// from 32 zero bytes, so every event's content and place is covered.
func (r *ReadRoutes) chain(ctx context.Context, through uint64) (verifyBody, error) {
	link := make([]byte, sha256.Size)
	h := sha256.New()
	out := verifyBody{Algorithm: chainAlgorithm}
	for from := eventstore.Start; ; {
		page, err := r.deps.Store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Limit: verifyPage})
		if err != nil {
			return verifyBody{}, fmt.Errorf("audit verify: read the log from %d: %w", from, err)
		}
		for _, ev := range page {
			if through > 0 && uint64(ev.Position) > through {
				return r.finish(out, link, through)
			}
			if out.Events++; out.Events > uint64(r.cfg.MaxReplayEvents) {
				return verifyBody{}, &domain.ValidationError{Field: "through", Reason: fmt.Sprintf(
					"the log through it holds more than %d events; verify in steps with earlier positions", r.cfg.MaxReplayEvents)}
			}
			h.Reset()
			h.Write(link)
			writeLinkFields(h, ev)
			link = h.Sum(link[:0])
			out.Through = uint64(ev.Position)
		}
		if len(page) < verifyPage {
			return r.finish(out, link, through)
		}
		from = page[len(page)-1].Position + 1
	}
}

func (r *ReadRoutes) finish(out verifyBody, link []byte, through uint64) (verifyBody, error) {
	if through > 0 && out.Through != through {
		return verifyBody{}, fmt.Errorf("%w: no event at position %d (the last one at or before it is %d)",
			domain.ErrNotFound, through, out.Through)
	}
	out.Hash = hex.EncodeToString(link)
	return out, nil
}

func writeLinkFields(h hash.Hash, ev eventstore.RecordedEvent) {
	var n [8]byte
	num := func(v uint64) { binary.BigEndian.PutUint64(n[:], v); h.Write(n[:]) }
	bytes := func(b []byte) { num(uint64(len(b))); h.Write(b) }
	num(uint64(ev.Position))
	bytes([]byte(ev.StreamID))
	num(ev.Revision)
	h.Write(ev.ID[:])
	bytes([]byte(ev.Type))
	num(uint64(ev.Created.UnixNano()))
	bytes(ev.Data)
	bytes(ev.Metadata)
}
