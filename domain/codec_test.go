package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/paidan/paidan/domain"
)

// sampleEvents holds one fully populated event of every type; their JSON is
// pinned under testdata/events.
func sampleEvents() []domain.Event {
	profile := domain.TeamProfile{Name: "中关村青年志愿服务队", StationID: "zhongguancun-003",
		InstituteID: "zhongguancun", Skills: []domain.Category{domain.CategoryErrand, domain.CategoryHealth}, Capacity: 5}
	off := offered(offer1, "team-a", 1, true)
	off.Decision = &domain.DispatchDecision{
		PolicyVersion: domain.PolicyVersion,
		Candidates: []domain.Candidate{
			{TeamID: "team-a", Tier: domain.TierStation, Load: 1, Capacity: 5, GoodRate: 0.9167, Score: 1999915.8},
			{TeamID: "team-c", Tier: domain.TierInstitute, Load: 0, Capacity: 2, GoodRate: 0.9, Score: 1000899.1},
		},
		Excluded:         []domain.Exclusion{{TeamID: "team-b", Tier: domain.TierStation, Reason: domain.ExcludedAtCapacity}},
		CandidateCount:   2,
		ExcludedCount:    4,
		ExcludedByReason: map[domain.ExclusionReason]int{domain.ExcludedAtCapacity: 1, domain.ExcludedLacksSkill: 3},
		Chosen:           "team-a",
	}
	return []domain.Event{
		placed(),
		off,
		accepted(offer1, "team-a", "vol-a"),
		domain.OfferDeclined{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "vol-a", Reason: "人手不足", DeclinedAt: at(15)},
		domain.OfferExpired{OrderID: orderID, OfferID: offer1, TeamID: "team-a", ExpiredAt: at(20)},
		domain.OfferWithdrawn{OrderID: orderID, OfferID: offer1, TeamID: "team-a", By: "dispatcher", Reason: "team suspended", WithdrawnAt: at(11)},
		domain.OrderEscalated{OrderID: orderID, Reason: "3 offers declined or expired", Attempts: 3, EscalatedAt: at(40)},
		domain.ServiceStarted{OrderID: orderID, TeamID: "team-a", StartedAt: at(30)},
		completed(),
		domain.OrderRated{OrderID: orderID, TeamID: "team-a", Stars: 5, Comment: "很及时，谢谢！", Category: domain.CategoryErrand,
			StationID: "zhongguancun-003", InstituteID: "zhongguancun", RatedAt: at(90)},
		cancelledBy(coord, "team-a"),
		domain.TeamRegistered{TeamID: "team-a", TeamProfile: profile, By: coord.Subject, RegisteredAt: t0},
		domain.TeamUpdated{TeamID: "team-a", TeamProfile: profile, By: coord.Subject, UpdatedAt: at(1)},
		domain.TeamSuspended{TeamID: "team-a", TeamProfile: profile, By: coord.Subject, Reason: "队长出差", SuspendedAt: at(2)},
		domain.TeamResumed{TeamID: "team-a", TeamProfile: profile, By: coord.Subject, ResumedAt: at(3)},
	}
}

func indent(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, data)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func TestEventJSONIsPinned(t *testing.T) {
	var covered []string
	for _, e := range sampleEvents() {
		t.Run(e.EventType(), func(t *testing.T) {
			typ, data, err := domain.MarshalEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			if typ != e.EventType() {
				t.Errorf("type: got %q, want %q", typ, e.EventType())
			}
			golden(t, filepath.Join("events", typ+".json"), indent(t, data))
			back, err := domain.UnmarshalEvent(typ, data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, e) {
				t.Errorf("round trip:\n got  %#v\n want %#v", back, e)
			}
			// The pinned file itself (an earlier release's bytes) decodes too.
			stored, err := os.ReadFile(filepath.Join("testdata", "events", typ+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if back, err := domain.UnmarshalEvent(typ, stored); err != nil || !reflect.DeepEqual(back, e) {
				t.Errorf("golden file decodes to %#v, %v; want %#v", back, err, e)
			}
		})
		covered = append(covered, e.EventType())
	}
	slices.Sort(covered)
	if !slices.Equal(covered, domain.EventTypes()) {
		t.Errorf("samples cover %v; every type %v needs one", covered, domain.EventTypes())
	}
}

func TestEventTypeNamesNeverChange(t *testing.T) {
	// The stored strings, written out: renaming a constant's value breaks every
	// existing store, so this list changes only by additions.
	want := []string{"OfferAccepted", "OfferDeclined", "OfferExpired", "OfferWithdrawn", "OrderCancelled",
		"OrderCompleted", "OrderEscalated", "OrderOffered", "OrderPlaced", "OrderRated", "ServiceStarted",
		"TeamRegistered", "TeamResumed", "TeamSuspended", "TeamUpdated"}
	if got := domain.EventTypes(); !slices.Equal(got, want) {
		t.Errorf("event types: got %v, want %v", got, want)
	}
}

func TestOldPayloadsAreUpcast(t *testing.T) {
	v2 := func(stars int, comment string) domain.OrderRated {
		return domain.OrderRated{OrderID: orderID, TeamID: "team-a", Stars: stars, Comment: comment, RatedAt: at(90)}
	}
	cases := []struct {
		file string
		typ  string
		want domain.Event
	}{
		{"OrderRated.v1.json", domain.EventTypeOrderRated, v2(4, "态度很好")},
		{"OrderRated.v1-widget.json", domain.EventTypeOrderRated, v2(5, "")},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "upcast", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := domain.UnmarshalEvent(tc.typ, data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestSchemaVersions(t *testing.T) {
	for _, typ := range domain.EventTypes() {
		want := 1
		if typ == domain.EventTypeOrderRated {
			want = 2
		}
		if got := domain.SchemaVersion(typ); got != want {
			t.Errorf("SchemaVersion(%s) = %d, want %d", typ, got, want)
		}
	}
	if got := domain.SchemaVersion("NoSuchEvent"); got != 0 {
		t.Errorf("SchemaVersion of an unknown type = %d, want 0", got)
	}
}

type foreignEvent struct{}

func (foreignEvent) EventType() string { return "ForeignEvent" }
func (foreignEvent) StreamID() string  { return "foreign-1" }

func TestCodecRefusals(t *testing.T) {
	cases := []struct {
		name string
		typ  string
		data string
		err  error
	}{
		{"unknown type", "OrderTeleported", `{}`, domain.ErrUnknownEventType},
		{"not JSON", domain.EventTypeOrderPlaced, `{"order_id":`, domain.ErrMalformedEvent},
		{"wrong field type", domain.EventTypeOrderPlaced, `{"order_id":"not-a-uuid"}`, domain.ErrMalformedEvent},
		{"a future schema version", domain.EventTypeOrderRated, `{"schema_version":3,"stars":5}`, domain.ErrMalformedEvent},
		{"schema version zero", domain.EventTypeOrderRated, `{"schema_version":0,"stars":5}`, domain.ErrMalformedEvent},
		{"version 1 stars that are not a number", domain.EventTypeOrderRated, `{"stars":"很多"}`, domain.ErrMalformedEvent},
		{"version 1 stars that are not a string", domain.EventTypeOrderRated, `{"stars":[5]}`, domain.ErrMalformedEvent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := domain.UnmarshalEvent(tc.typ, []byte(tc.data))
			if !errors.Is(err, tc.err) {
				t.Fatalf("expected %v, found event %#v and error %v", tc.err, e, err)
			}
		})
	}
	if _, _, err := domain.MarshalEvent(nil); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("MarshalEvent(nil): expected ErrUnknownEventType, found %v", err)
	}
	if _, _, err := domain.MarshalEvent(foreignEvent{}); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("MarshalEvent of an unregistered type: expected ErrUnknownEventType, found %v", err)
	}
}

func TestMetadata(t *testing.T) {
	m := domain.NewMetadata(domain.EventTypeOrderRated, resident, "req-7f3a", "cmd-rate-1", "idem-42")
	want := domain.Metadata{CorrelationID: "req-7f3a", CausationID: "cmd-rate-1", ActorSubject: "res-li",
		ActorRole: domain.RoleResident, IdempotencyKey: "idem-42", SchemaVersion: 2}
	if m != want {
		t.Errorf("NewMetadata: got %#v, want %#v", m, want)
	}
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "metadata.json", indent(t, data))
	back, err := domain.ParseMetadata(data)
	if err != nil || back != m {
		t.Errorf("round trip: got %#v, %v", back, err)
	}
	if zero, err := domain.ParseMetadata(nil); err != nil || zero != (domain.Metadata{}) {
		t.Errorf("ParseMetadata(nil): expected the zero Metadata, found %#v, %v", zero, err)
	}
	if _, err := domain.ParseMetadata([]byte("{")); !errors.Is(err, domain.ErrMalformedEvent) {
		t.Errorf("ParseMetadata of bad JSON: expected ErrMalformedEvent, found %v", err)
	}
}

func TestStreamNames(t *testing.T) {
	if got := domain.OrderStream(orderID); got != "order-0190c0de-0000-7000-8000-000000000001" {
		t.Errorf("OrderStream = %q", got)
	}
	if got := domain.TeamStream("team-a"); got != "team-team-a" {
		t.Errorf("TeamStream = %q", got)
	}
	for _, e := range sampleEvents() {
		stream := e.StreamID()
		switch e.(type) {
		case domain.TeamRegistered, domain.TeamUpdated, domain.TeamSuspended, domain.TeamResumed:
			if id, err := domain.ParseTeamStream(stream); err != nil || id != "team-a" {
				t.Errorf("%s: ParseTeamStream(%q) = %q, %v", e.EventType(), stream, id, err)
			}
		default:
			if id, err := domain.ParseOrderStream(stream); err != nil || id != orderID {
				t.Errorf("%s: ParseOrderStream(%q) = %v, %v", e.EventType(), stream, id, err)
			}
		}
	}
	bad := []struct {
		stream string
		parse  func(string) error
	}{
		{"order-", func(s string) error { _, err := domain.ParseOrderStream(s); return err }},
		{"order-xyz", func(s string) error { _, err := domain.ParseOrderStream(s); return err }},
		{"order-0190C0DE-0000-7000-8000-000000000001", func(s string) error { _, err := domain.ParseOrderStream(s); return err }},
		{"team-a", func(s string) error { _, err := domain.ParseOrderStream(s); return err }},
		{"team-", func(s string) error { _, err := domain.ParseTeamStream(s); return err }},
		{"team-a b", func(s string) error { _, err := domain.ParseTeamStream(s); return err }},
		{"order-" + uuid.Nil.String(), func(s string) error { _, err := domain.ParseTeamStream(s); return err }},
	}
	for _, b := range bad {
		if err := b.parse(b.stream); !errors.Is(err, domain.ErrStreamName) {
			t.Errorf("parsing %q: expected ErrStreamName, found %v", b.stream, err)
		}
	}
}
