package esdbtest

import (
	"context"

	gossipapi "github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	featuresapi "github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
)

// featuresService answers the client's first call after connecting. Method
// and service names are lower-cased like the real server's; the client reads
// them only for persistent subscriptions, which this server does not offer,
// so it lists the streams methods it does serve.
type featuresService struct {
	featuresapi.UnimplementedServerFeaturesServer
	srv *Server
}

func (f *featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*featuresapi.SupportedMethods, error) {
	f.srv.mu.Lock()
	f.srv.discovers++
	f.srv.mu.Unlock()
	const service = "event_store.client.streams.streams"
	var methods []*featuresapi.SupportedMethod
	for _, m := range []string{"read", "append", "delete", "tombstone"} {
		methods = append(methods, &featuresapi.SupportedMethod{MethodName: m, ServiceName: service})
	}
	return &featuresapi.SupportedMethods{Methods: methods, EventStoreServerVersion: f.srv.cfg.Version}, nil
}

// gossipService makes esdb+discover:// and multi-seed connection strings work:
// the node reports itself as the one live leader of its cluster.
type gossipService struct {
	gossipapi.UnimplementedGossipServer
	srv *Server
}

func (g *gossipService) Read(context.Context, *shared.Empty) (*gossipapi.ClusterInfo, error) {
	id := newID()
	return &gossipapi.ClusterInfo{Members: []*gossipapi.MemberInfo{{
		InstanceId: &shared.UUID{Value: &shared.UUID_String_{String_: uuidString(id)}},
		State:      gossipapi.MemberInfo_Leader,
		IsAlive:    true,
		HttpEndPoint: &gossipapi.EndPoint{
			Address: g.srv.host,
			Port:    uint32(g.srv.port),
		},
	}}}, nil
}
