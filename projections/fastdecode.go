package projections

import (
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// DecodeDomainFast decodes like DecodeDomain, several times faster, for the
// payloads Paidan writes: it reads the JSON objects with a small scanner
// instead of reflection. It leaves OrderOffered.Decision nil (no read model
// uses the dispatch decision; auditors read it from the log). Anything it is
// not sure to read exactly as encoding/json would (escaped strings, keys it
// does not know, older schema versions) goes to DecodeDomain, so the two
// agree on every other field; a test holds them to that.
func DecodeDomainFast(ev *Event) (any, error) {
	if e, ok := fastDecode(ev.Type, ev.Data); ok {
		return e, nil
	}
	e, err := DecodeDomain(ev)
	if o, ok := e.(domain.OrderOffered); ok && err == nil {
		o.Decision = nil
		return o, nil
	}
	return e, err
}

// scanner reads one flat JSON object. Any surprise sets bad; the caller then
// falls back to encoding/json.
type scanner struct {
	b   []byte
	i   int
	bad bool
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) expect(c byte) {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return
	}
	s.bad = true
}

// raw returns a string's bytes without quotes; strings with escapes are
// refused.
func (s *scanner) raw() []byte {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.bad = true
		return nil
	}
	s.i++
	start := s.i
	// One table lookup per byte instead of three comparisons: strings are
	// most of a payload's bytes.
	i, b := s.i, s.b
	for i < len(b) && !stringStop[b[i]] {
		i++
	}
	s.i = i
	if i < len(b) && b[i] == '"' {
		s.i++
		return b[start:i]
	}
	s.bad = true
	return nil
}

// stringStop marks the bytes that end the plain run of a JSON string: its
// closing quote, and the escapes and control characters raw refuses.
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

func (s *scanner) str() string { return string(s.raw()) }

func (s *scanner) id() uuid.UUID {
	u, err := uuid.ParseBytes(s.raw())
	if err != nil {
		s.bad = true
	}
	return u
}

func (s *scanner) time() time.Time {
	t, err := time.Parse(time.RFC3339Nano, string(s.raw()))
	if err != nil {
		s.bad = true
	}
	return t
}

func (s *scanner) number() []byte {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if s.i == start {
		s.bad = true
	}
	return s.b[start:s.i]
}

func (s *scanner) int() int {
	n, err := strconv.Atoi(string(s.number()))
	if err != nil {
		s.bad = true
	}
	return n
}

func (s *scanner) float() float64 {
	f, err := strconv.ParseFloat(string(s.number()), 64)
	if err != nil {
		s.bad = true
	}
	return f
}

func (s *scanner) bool() bool {
	s.ws()
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		s.i += 4
		return true
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		s.i += 5
		return false
	}
	s.bad = true
	return false
}

func (s *scanner) categories() []domain.Category {
	s.ws()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return nil
	}
	s.expect('[')
	out := []domain.Category{}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return out
	}
	for !s.bad {
		out = append(out, domain.Category(s.str()))
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		s.expect(']')
		break
	}
	return out
}

// skip passes over any value, nested or not.
func (s *scanner) skip() {
	s.ws()
	if s.i >= len(s.b) {
		s.bad = true
		return
	}
	switch s.b[s.i] {
	case '"':
		s.raw()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) && !s.bad {
			switch s.b[s.i] {
			case '"':
				s.raw()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
		s.bad = true
	default: // a number or a literal
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}

// object calls field for every key of the object; field reports false for a
// key it does not know, which makes the whole decode fall back. The key is
// the payload's own bytes (switch on string(key) allocates nothing), valid
// during the call.
func (s *scanner) object(field func(key []byte) bool) {
	s.expect('{')
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return
	}
	for !s.bad {
		k := s.raw()
		s.expect(':')
		if s.bad || !field(k) {
			s.bad = true
			return
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ',' {
			s.i++
			continue
		}
		s.expect('}')
		return
	}
}

// profile reads a TeamProfile field; false when key is not one.
func (s *scanner) profile(p *domain.TeamProfile, key []byte) bool {
	switch string(key) {
	case "name":
		p.Name = s.str()
	case "station_id":
		p.StationID = s.str()
	case "institute_id":
		p.InstituteID = s.str()
	case "skills":
		p.Skills = s.categories()
	case "capacity":
		p.Capacity = s.int()
	default:
		return false
	}
	return true
}

func fastDecode(typ string, data []byte) (domain.Event, bool) {
	s := &scanner{b: data}
	var e domain.Event
	switch typ {
	case domain.EventTypeOrderPlaced:
		var x domain.OrderPlaced
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "resident":
				x.Resident = s.str()
			case "category":
				x.Category = domain.Category(s.str())
			case "title":
				x.Title = s.str()
			case "details":
				x.Details = s.str()
			case "station_id":
				x.StationID = s.str()
			case "institute_id":
				x.InstituteID = s.str()
			case "contact":
				x.Contact = s.str()
			case "placed_at":
				x.PlacedAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOrderOffered:
		var x domain.OrderOffered
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "offer_id":
				x.OfferID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "expires_at":
				x.ExpiresAt = s.time()
			case "offered_at":
				x.OfferedAt = s.time()
			case "automatic":
				x.Automatic = s.bool()
			case "by":
				x.By = s.str()
			case "attempt":
				x.Attempt = s.int()
			case "category":
				x.Category = domain.Category(s.str())
			case "station_id":
				x.StationID = s.str()
			case "institute_id":
				x.InstituteID = s.str()
			case "decision":
				s.skip()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOfferAccepted:
		var x domain.OfferAccepted
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "offer_id":
				x.OfferID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "accepted_at":
				x.AcceptedAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOfferDeclined:
		var x domain.OfferDeclined
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "offer_id":
				x.OfferID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "reason":
				x.Reason = s.str()
			case "declined_at":
				x.DeclinedAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOfferExpired:
		var x domain.OfferExpired
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "offer_id":
				x.OfferID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "expired_at":
				x.ExpiredAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOfferWithdrawn:
		var x domain.OfferWithdrawn
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "offer_id":
				x.OfferID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "reason":
				x.Reason = s.str()
			case "withdrawn_at":
				x.WithdrawnAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOrderEscalated:
		var x domain.OrderEscalated
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "reason":
				x.Reason = s.str()
			case "attempts":
				x.Attempts = s.int()
			case "escalated_at":
				x.EscalatedAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeServiceStarted:
		var x domain.ServiceStarted
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "started_at":
				x.StartedAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOrderCompleted:
		var x domain.OrderCompleted
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "volunteer_hours":
				x.VolunteerHours = s.float()
			case "notes":
				x.Notes = s.str()
			case "category":
				x.Category = domain.Category(s.str())
			case "station_id":
				x.StationID = s.str()
			case "institute_id":
				x.InstituteID = s.str()
			case "completed_at":
				x.CompletedAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeOrderRated:
		var x domain.OrderRated
		version := 0
		s.object(func(k []byte) bool {
			switch string(k) {
			case "schema_version":
				version = s.int()
			case "order_id":
				x.OrderID = s.id()
			case "team_id":
				x.TeamID = s.str()
			case "stars":
				x.Stars = s.int()
			case "comment":
				x.Comment = s.str()
			case "category":
				x.Category = domain.Category(s.str())
			case "station_id":
				x.StationID = s.str()
			case "institute_id":
				x.InstituteID = s.str()
			case "rated_at":
				x.RatedAt = s.time()
			default:
				return false
			}
			return true
		})
		if version != domain.SchemaVersion(typ) {
			return nil, false // older payloads go through the upcasters
		}
		e = x
	case domain.EventTypeOrderCancelled:
		var x domain.OrderCancelled
		s.object(func(k []byte) bool {
			switch string(k) {
			case "order_id":
				x.OrderID = s.id()
			case "by":
				x.By = s.str()
			case "by_role":
				x.ByRole = domain.Role(s.str())
			case "reason":
				x.Reason = s.str()
			case "team_id":
				x.TeamID = s.str()
			case "cancelled_at":
				x.CancelledAt = s.time()
			default:
				return false
			}
			return true
		})
		e = x
	case domain.EventTypeTeamRegistered:
		var x domain.TeamRegistered
		s.object(func(k []byte) bool {
			switch string(k) {
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "registered_at":
				x.RegisteredAt = s.time()
			default:
				return s.profile(&x.TeamProfile, k)
			}
			return true
		})
		e = x
	case domain.EventTypeTeamUpdated:
		var x domain.TeamUpdated
		s.object(func(k []byte) bool {
			switch string(k) {
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "updated_at":
				x.UpdatedAt = s.time()
			default:
				return s.profile(&x.TeamProfile, k)
			}
			return true
		})
		e = x
	case domain.EventTypeTeamSuspended:
		var x domain.TeamSuspended
		s.object(func(k []byte) bool {
			switch string(k) {
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "reason":
				x.Reason = s.str()
			case "suspended_at":
				x.SuspendedAt = s.time()
			default:
				return s.profile(&x.TeamProfile, k)
			}
			return true
		})
		e = x
	case domain.EventTypeTeamResumed:
		var x domain.TeamResumed
		s.object(func(k []byte) bool {
			switch string(k) {
			case "team_id":
				x.TeamID = s.str()
			case "by":
				x.By = s.str()
			case "resumed_at":
				x.ResumedAt = s.time()
			default:
				return s.profile(&x.TeamProfile, k)
			}
			return true
		})
		e = x
	default:
		return nil, false
	}
	s.ws()
	if s.bad || s.i != len(s.b) {
		return nil, false
	}
	return e, true
}
