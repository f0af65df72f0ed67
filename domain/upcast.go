package domain

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// upcastKey names the payload version an upcaster reads.
type upcastKey struct {
	eventType string
	version   int
}

// upcasters turn a payload of (type, version) into the same event's payload
// of version+1. They work on JSON, not on structs, so the old shapes need no
// Go types that linger in the package.
var upcasters = map[upcastKey]func([]byte) ([]byte, error){
	{EventTypeOrderRated, 1}: upcastOrderRatedV1,
}

// upcastOrderRatedV1 reads OrderRated version 1, the form Paidan's first
// prototype wrote: stars as a string ("4", or "4星" as the rating widget sent
// it) and the comment under "remark"; no category, station or institute.
// Version 2 has integer stars and "comment", and carries the order's
// category, station and institute; a version 1 payload leaves them empty
// (read models that need them look the order up).
//
// No released store holds version 1; it is kept, with its file under
// testdata/upcast, as the worked example of how a payload change is absorbed.
func upcastOrderRatedV1(data []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if raw, ok := m["stars"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("version 1 stars: expected a string, found %s", raw)
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "星")))
		if err != nil {
			return nil, fmt.Errorf("version 1 stars: expected a number of stars, found %q", s)
		}
		m["stars"] = json.RawMessage(strconv.Itoa(n))
	}
	if raw, ok := m["remark"]; ok {
		m["comment"] = raw
		delete(m, "remark")
	}
	m["schema_version"] = json.RawMessage("2")
	return json.Marshal(m)
}
