package esdbtest

import (
	"context"
	"fmt"

	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
)

// Delete soft-deletes a stream (§4).
func (s *streamsService) Delete(ctx context.Context, req *streamsapi.DeleteReq) (*streamsapi.DeleteResp, error) {
	set := unaryTrailers(ctx)
	if err := s.srv.leaderCheck(set); err != nil {
		return nil, err
	}
	exp, err := expectationOf(req.GetOptions().GetExpectedStreamRevision())
	if err != nil {
		return nil, err
	}
	name := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	res := s.srv.log.softDelete(name, exp)
	if err := deleteError(set, name, exp, res); err != nil {
		return nil, err
	}
	return &streamsapi.DeleteResp{PositionOption: &streamsapi.DeleteResp_Position_{Position: &streamsapi.DeleteResp_Position{
		CommitPosition: res.position, PreparePosition: res.position,
	}}}, nil
}

// Tombstone hard-deletes a stream (§4).
func (s *streamsService) Tombstone(ctx context.Context, req *streamsapi.TombstoneReq) (*streamsapi.TombstoneResp, error) {
	set := unaryTrailers(ctx)
	if err := s.srv.leaderCheck(set); err != nil {
		return nil, err
	}
	exp, err := expectationOf(req.GetOptions().GetExpectedStreamRevision())
	if err != nil {
		return nil, err
	}
	name := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	res := s.srv.log.tombstone(name, exp)
	if err := deleteError(set, name, exp, res); err != nil {
		return nil, err
	}
	return &streamsapi.TombstoneResp{PositionOption: &streamsapi.TombstoneResp_Position_{Position: &streamsapi.TombstoneResp_Position{
		CommitPosition: res.position, PreparePosition: res.position,
	}}}, nil
}

// deleteError turns a failed delete into the statuses of RpcExceptions: a
// wrong expected version is a status here, unlike for appends.
func deleteError(set trailerSetter, name string, exp expectation, res writeResult) error {
	switch res.outcome {
	case outcomeDeleted:
		return streamDeletedError(set, name)
	case outcomeWrongExpected:
		expected := map[expectKind]string{expectAny: "-2", expectNoStream: "-1", expectExists: "-4"}[exp.kind]
		if exp.kind == expectRevision {
			expected = fmt.Sprint(exp.revision)
		}
		return exceptionError(set, codes.FailedPrecondition, "wrong-expected-version",
			fmt.Sprintf("Append failed due to WrongExpectedVersion. Stream: %s, Expected version: %s, Actual version: %d", name, expected, res.current),
			"stream-name", name, "expected-version", expected, "actual-version", fmt.Sprint(res.current))
	}
	return nil
}

func unaryTrailers(ctx context.Context) trailerSetter {
	return func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) }
}
