package esdbtest_test

import (
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paidan/paidan/eventstore/esdb/esdbtest"
)

// The tests in this file speak to the server through the generated stubs,
// for requests the v4.2.0 client never sends but the real server answers.

func rawStreams(t *testing.T, addr string) streamsapi.StreamsClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return streamsapi.NewStreamsClient(conn)
}

func rawAppend(t *testing.T, c streamsapi.StreamsClient, stream string, msgs ...*streamsapi.AppendReq_ProposedMessage) (*streamsapi.AppendResp, metadata.MD, error) {
	t.Helper()
	var trailer metadata.MD
	as, err := c.Append(ctx(t), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatalf("open append: %v", err)
	}
	if err := as.Send(&streamsapi.AppendReq{Content: &streamsapi.AppendReq_Options_{Options: &streamsapi.AppendReq_Options{
		StreamIdentifier:       &shared.StreamIdentifier{StreamName: []byte(stream)},
		ExpectedStreamRevision: &streamsapi.AppendReq_Options_Any{Any: &shared.Empty{}},
	}}}); err != nil {
		t.Fatalf("send options: %v", err)
	}
	for _, m := range msgs {
		if err := as.Send(&streamsapi.AppendReq{Content: &streamsapi.AppendReq_ProposedMessage_{ProposedMessage: m}}); err != nil {
			t.Fatalf("send event: %v", err)
		}
	}
	resp, err := as.CloseAndRecv()
	return resp, trailer, err
}

// String-form event IDs are accepted on append, and a read asking for string
// IDs gets them: both forms denote the same canonical UUID.
func TestWireStringUUIDs(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	c := rawStreams(t, srv.Addr())
	id := uuid.New()
	_, _, err := rawAppend(t, c, "wire-1", &streamsapi.AppendReq_ProposedMessage{
		Id:       &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}},
		Metadata: map[string]string{"type": "Stringed", "content-type": "application/json"},
		Data:     []byte(`{}`),
	})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	rs, err := c.Read(ctx(t), &streamsapi.ReadReq{Options: &streamsapi.ReadReq_Options{
		StreamOption: &streamsapi.ReadReq_Options_Stream{Stream: &streamsapi.ReadReq_Options_StreamOptions{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("wire-1")},
			RevisionOption:   &streamsapi.ReadReq_Options_StreamOptions_Start{Start: &shared.Empty{}},
		}},
		CountOption:  &streamsapi.ReadReq_Options_Count{Count: 1},
		FilterOption: &streamsapi.ReadReq_Options_NoFilter{NoFilter: &shared.Empty{}},
		UuidOption:   &streamsapi.ReadReq_Options_UUIDOption{Content: &streamsapi.ReadReq_Options_UUIDOption_String_{String_: &shared.Empty{}}},
	}})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	msg, err := rs.Recv()
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	if got := msg.GetEvent().GetEvent().GetId().GetString_(); got != id.String() {
		t.Fatalf("expected the string id %s, found %q", id, got)
	}
}

// Requests the real server refuses: a proposed event without its system
// metadata, and a read combining options that do not go together.
func TestWireRefusals(t *testing.T) {
	t.Parallel()
	srv := startServer(t, esdbtest.Config{})
	c := rawStreams(t, srv.Addr())

	_, trailer, err := rawAppend(t, c, "wire-2", &streamsapi.AppendReq_ProposedMessage{
		Id:       &shared.UUID{Value: &shared.UUID_String_{String_: uuid.NewString()}},
		Metadata: map[string]string{"type": "NoContentType"},
	})
	if status.Code(err) != codes.InvalidArgument || firstValue(trailer, "exception") != "missing-required-metadata-property" {
		t.Fatalf("expected InvalidArgument with exception missing-required-metadata-property, found %v, %v", err, trailer)
	}

	rs, err := c.Read(ctx(t), &streamsapi.ReadReq{Options: &streamsapi.ReadReq_Options{
		StreamOption: &streamsapi.ReadReq_Options_Stream{Stream: &streamsapi.ReadReq_Options_StreamOptions{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte("wire-2")},
			RevisionOption:   &streamsapi.ReadReq_Options_StreamOptions_Start{Start: &shared.Empty{}},
		}},
		CountOption: &streamsapi.ReadReq_Options_Count{Count: 1},
		FilterOption: &streamsapi.ReadReq_Options_Filter{Filter: &streamsapi.ReadReq_Options_FilterOptions{
			Filter: &streamsapi.ReadReq_Options_FilterOptions_EventType{EventType: &streamsapi.ReadReq_Options_FilterOptions_Expression{Prefix: []string{"X"}}},
			Window: &streamsapi.ReadReq_Options_FilterOptions_Count{Count: &shared.Empty{}}, CheckpointIntervalMultiplier: 1,
		}},
		UuidOption: &streamsapi.ReadReq_Options_UUIDOption{Content: &streamsapi.ReadReq_Options_UUIDOption_Structured{Structured: &shared.Empty{}}},
	}})
	if err == nil {
		_, err = rs.Recv()
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("expected InvalidArgument for a filtered stream read, found %v", err)
	}
}

func firstValue(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}
