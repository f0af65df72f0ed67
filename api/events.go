package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paidan/paidan/domain"
	"github.com/paidan/paidan/eventstore"
)

// eventRow is one stored event as auditors read it: straight from the store,
// payload and metadata as stored.
type eventRow struct {
	Revision uint64              `json:"revision"`
	Position eventstore.Position `json:"position"`
	Time     time.Time           `json:"time"`
	Type     string              `json:"type"`
	Data     json.RawMessage     `json:"data"`
	Metadata json.RawMessage     `json:"metadata"`
}

const eventsPage = 1000

// orderEvents: GET /orders/{id}/events (auditor, coordinator) → {"events":
// [{revision, position, time, type, data, metadata}]}, oldest first.
func (r *CommandRoutes) orderEvents(c echo.Context) error {
	id, err := orderID(c)
	if err != nil {
		return err
	}
	stream := domain.OrderStream(id)
	ctx := c.Request().Context()
	rows := []eventRow{}
	for from := eventstore.StreamStart; ; {
		page, err := r.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: eventsPage})
		if err != nil {
			return fmt.Errorf("events of order %s: %w", id, err)
		}
		for _, rec := range page {
			rows = append(rows, eventRow{Revision: rec.Revision, Position: rec.Position, Time: rec.Created,
				Type: rec.Type, Data: rawJSON(rec.Data), Metadata: rawJSON(rec.Metadata)})
		}
		if len(page) < eventsPage {
			break
		}
		from = page[len(page)-1].Revision + 1
	}
	return c.JSON(http.StatusOK, map[string][]eventRow{"events": rows})
}

// rawJSON passes stored JSON through unchanged; bytes that are not JSON (an
// event another writer stored) are given as a JSON string, and none as null.
func rawJSON(b []byte) json.RawMessage {
	switch {
	case len(b) == 0:
		return json.RawMessage("null")
	case json.Valid(b):
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}
