package esdbtest

import (
	"strconv"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// trailerSetter is what both unary contexts (via grpc.SetTrailer) and server
// streams offer for sending trailers before the status.
type trailerSetter func(metadata.MD)

func streamTrailers(ss grpc.ServerStream) trailerSetter { return ss.SetTrailer }

// exceptionError sets EventStoreDB's exception trailers and returns the
// status to end the call with. The client reads only the first value of
// "exception" and, for some exceptions, named companions (§5).
func exceptionError(set trailerSetter, code codes.Code, exception, msg string, kv ...string) error {
	md := metadata.Pairs(append([]string{"exception", exception}, kv...)...)
	set(md)
	return status.Error(code, msg)
}

func streamDeletedError(set trailerSetter, name string) error {
	return exceptionError(set, codes.FailedPrecondition, "stream-deleted",
		"Event stream '"+name+"' is deleted.", "stream-name", name)
}

func notLeaderError(set trailerSetter, host string, port int) error {
	return exceptionError(set, codes.NotFound, "not-leader", "Leader info available",
		"leader-endpoint-host", host, "leader-endpoint-port", strconv.Itoa(port))
}

func newID() [16]byte { return uuid.New() }
