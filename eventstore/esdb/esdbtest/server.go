package esdbtest

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	gossipapi "github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	featuresapi "github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	streamsapi "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// DefaultVersion is the server version ServerFeatures advertises: the
// EventStoreDB 24.10 LTS release the protocol notes were checked against.
const DefaultVersion = "24.10.4"

// DefaultMaxAppendSize is EventStoreDB's default MaxAppendSize: the bound on
// Σ(len(data)+len(metadata)+2·len(type)) of one append request.
const DefaultMaxAppendSize = 1 << 20

// Config configures a Server. The zero Config is a single node on a free
// loopback port that behaves like EventStoreDB 24.10 in insecure mode.
type Config struct {
	// Addr is the TCP address to listen on; optional, default "127.0.0.1:0".
	Addr string
	// Version is what ServerFeatures reports; optional, default DefaultVersion.
	Version string
	// DisableServerFeatures leaves ServerFeatures unregistered, as an old
	// server would; the client then reports version 0.0.0. Optional.
	DisableServerFeatures bool
	// MaxAppendSize bounds one append request like the server setting of that
	// name; optional, default DefaultMaxAppendSize.
	MaxAppendSize int
	// KeepaliveMinTime is the shortest interval between client pings the
	// server tolerates; optional, default 5s. It must not exceed the client's
	// 10s keepalive interval, or grpc-go closes idle connections with
	// GOAWAY too_many_pings after about 30 s (ESDB-PROTOCOL.md §1.3).
	KeepaliveMinTime time.Duration
	// GRPCDefaultKeepalive uses grpc-go's default enforcement policy (5 min,
	// no pings without streams) instead; only to show why the policy matters.
	GRPCDefaultKeepalive bool
	// NoSystemEvents starts with an empty log. By default the log begins with
	// a system event, as every real database does, so tests cannot assume an
	// empty $all.
	NoSystemEvents bool
	// AppendLatency, optional, is how long the server works on each append
	// after reading it and before deciding, so a client deadline can expire
	// while the server is busy. An append whose call ends meanwhile is not
	// written.
	AppendLatency time.Duration
	// MaxCheckpointAfterEmptyCatchUp mimics a quirk of the real server
	// (ESDB-PROTOCOL.md §3.5): a filtered $all subscription from the start
	// that delivered nothing during catch-up gets the checkpoint
	// (MaxUint64, MaxUint64) before caught_up, and no smaller checkpoint after
	// it. Off by default, when the last considered position is sent instead.
	MaxCheckpointAfterEmptyCatchUp bool
	// OnSubscriptionEnd, optional, is called when a subscription's handler
	// returns, with the subscription id and why it ended (the handler's
	// context error when the client cancelled or the server stopped).
	OnSubscriptionEnd func(id string, err error)
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxAppendSize < 0 {
		errs = append(errs, fmt.Errorf("esdbtest: MaxAppendSize must not be negative, got %d", c.MaxAppendSize))
	}
	if c.AppendLatency < 0 {
		errs = append(errs, fmt.Errorf("esdbtest: AppendLatency must not be negative, got %s", c.AppendLatency))
	}
	if c.KeepaliveMinTime < 0 || c.KeepaliveMinTime > 10*time.Second {
		errs = append(errs, fmt.Errorf("esdbtest: KeepaliveMinTime must be between 0 and 10s (the client pings every 10s), got %s", c.KeepaliveMinTime))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.MaxAppendSize == 0 {
		c.MaxAppendSize = DefaultMaxAppendSize
	}
	if c.KeepaliveMinTime == 0 {
		c.KeepaliveMinTime = 5 * time.Second
	}
}

// Server is an in-process EventStoreDB protocol server. Its log survives Stop
// and Restart; only Close ends it.
type Server struct {
	cfg  Config
	log  *eventLog
	host string
	port int

	mu        sync.Mutex
	grpc      *grpc.Server
	running   bool
	closed    bool
	notLeader *net.TCPAddr
	served    int
	discovers int
	subs      int
}

// Start listens on cfg.Addr and serves until Stop or Close.
func Start(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	s := &Server{cfg: cfg, log: newEventLog()}
	if !cfg.NoSystemEvents {
		s.log.writeLocked("$settings", []proposed{{
			id: newID(), eventType: "$settings", isJSON: true,
			data: []byte(`{"$userStreamAcl":{},"$systemStreamAcl":{}}`), metadata: []byte{},
		}})
	}
	lis, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("esdbtest: listen on %s: %w", cfg.Addr, err)
	}
	addr := lis.Addr().(*net.TCPAddr)
	s.host, s.port = addr.IP.String(), addr.Port
	s.serve(lis)
	return s, nil
}

func (s *Server) serve(lis net.Listener) {
	var opts []grpc.ServerOption
	if !s.cfg.GRPCDefaultKeepalive {
		opts = append(opts, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             s.cfg.KeepaliveMinTime,
			PermitWithoutStream: true,
		}))
	}
	g := grpc.NewServer(opts...)
	streamsapi.RegisterStreamsServer(g, &streamsService{srv: s})
	if !s.cfg.DisableServerFeatures {
		featuresapi.RegisterServerFeaturesServer(g, &featuresService{srv: s})
	}
	gossipapi.RegisterGossipServer(g, &gossipService{srv: s})
	s.mu.Lock()
	s.grpc, s.running = g, true
	s.mu.Unlock()
	go func() { _ = g.Serve(lis) }()
}

// URL is the connection string for the v4.2.0 client: single node, no TLS.
func (s *Server) URL() string {
	return "esdb://" + s.Addr() + "?tls=false"
}

// Addr is host:port of the listening socket, stable across Restart.
func (s *Server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Host and Port are the two halves of Addr.
func (s *Server) Host() string { return s.host }
func (s *Server) Port() int    { return s.port }

// Stop closes the listener and every connection at once: open calls fail on
// the client with Unavailable (open subscriptions drop). The log is kept.
func (s *Server) Stop() {
	s.mu.Lock()
	g := s.grpc
	s.running = false
	s.mu.Unlock()
	if g != nil {
		g.Stop()
	}
}

// Restart serves again on the same address with the same log.
func (s *Server) Restart() error {
	s.mu.Lock()
	closed, running := s.closed, s.running
	s.mu.Unlock()
	if closed {
		return errors.New("esdbtest: restart of a closed server")
	}
	if running {
		s.Stop()
	}
	lis, err := net.Listen("tcp", s.Addr())
	if err != nil {
		return fmt.Errorf("esdbtest: listen again on %s: %w", s.Addr(), err)
	}
	s.serve(lis)
	return nil
}

// Close stops the server for good.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.Stop()
}

// SetNotLeader makes every Streams call answer "not leader", naming the
// given node as the leader, until ClearNotLeader.
func (s *Server) SetNotLeader(host string, port int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notLeader = &net.TCPAddr{IP: net.ParseIP(host), Port: port}
}

// ClearNotLeader makes the server serve Streams calls again.
func (s *Server) ClearNotLeader() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notLeader = nil
}

// Served counts the Streams calls this server has answered itself (not
// with "not leader").
func (s *Server) Served() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

// Discoveries counts ServerFeatures calls: the client makes one each time
// it (re)discovers this node.
func (s *Server) Discoveries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discovers
}

// Subscriptions is the number of subscriptions being served now.
func (s *Server) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs
}

// leaderCheck returns a not-leader error when the hook is set and otherwise
// counts the call as served.
func (s *Server) leaderCheck(set trailerSetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notLeader != nil {
		return notLeaderError(set, s.notLeader.IP.String(), s.notLeader.Port)
	}
	s.served++
	return nil
}

func (s *Server) subscriptionStarted() {
	s.mu.Lock()
	s.subs++
	s.mu.Unlock()
}

func (s *Server) subscriptionEnded(id string, err error) {
	s.mu.Lock()
	s.subs--
	s.mu.Unlock()
	if s.cfg.OnSubscriptionEnd != nil {
		s.cfg.OnSubscriptionEnd(id, err)
	}
}
