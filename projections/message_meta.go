package projections

import (
	"bytes"

	"github.com/ThreeDotsLabs/watermill/message"
)

// setFlatMetadata copies an event's metadata into msg when it is what Paidan
// writes — one flat JSON object whose values are strings without escapes or
// whole numbers — and reports whether it did. Anything else (nested values,
// escapes, fractions, literals) is left to the general decoder, which gives
// the same result for these inputs. Every projection decodes every event's
// metadata, so the general decoder was a few per cent of a loaded server's
// CPU.
func setFlatMetadata(msg *message.Message, data []byte) bool {
	type pair struct{ k, v []byte }
	var pairs [8]pair
	got := pairs[:0]
	p := skipSpace(data, 0)
	if p >= len(data) || data[p] != '{' {
		return false
	}
	p = skipSpace(data, p+1)
	if p < len(data) && data[p] == '}' {
		return skipSpace(data, p+1) == len(data)
	}
	for {
		k, next, ok := plainString(data, p)
		if !ok {
			return false
		}
		p = skipSpace(data, next)
		if p >= len(data) || data[p] != ':' {
			return false
		}
		p = skipSpace(data, p+1)
		var v []byte
		if p < len(data) && data[p] == '"' {
			if v, next, ok = plainString(data, p); !ok {
				return false
			}
		} else if v, next, ok = wholeNumber(data, p); !ok {
			return false
		}
		got = append(got, pair{k, v})
		p = skipSpace(data, next)
		if p >= len(data) {
			return false
		}
		if data[p] == '}' {
			if skipSpace(data, p+1) != len(data) {
				return false
			}
			break
		}
		if data[p] != ',' {
			return false
		}
		p = skipSpace(data, p+1)
	}
	for _, kv := range got {
		k := string(kv.k)
		if reserved(k) {
			k = "event_" + k
		}
		msg.Metadata.Set(k, string(kv.v))
	}
	return true
}

func skipSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}

// plainString reads a JSON string at p holding no escapes and no control
// or non-ASCII bytes (which the general decoder may rewrite), returning its
// contents and the position after it.
func plainString(b []byte, p int) ([]byte, int, bool) {
	if p >= len(b) || b[p] != '"' {
		return nil, 0, false
	}
	end := bytes.IndexByte(b[p+1:], '"')
	if end < 0 {
		return nil, 0, false
	}
	s := b[p+1 : p+1+end]
	for _, c := range s {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, 0, false
		}
	}
	return s, p + 2 + end, true
}

// wholeNumber reads a non-negative integer of at most 15 digits without a
// leading zero at p: the general decoder's float64 prints it back as
// written.
func wholeNumber(b []byte, p int) ([]byte, int, bool) {
	q := p
	for q < len(b) && b[q] >= '0' && b[q] <= '9' {
		q++
	}
	n := q - p
	if n == 0 || n > 15 || (n > 1 && b[p] == '0') {
		return nil, 0, false
	}
	return b[p:q], q, true
}
