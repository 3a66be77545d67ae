package p2p

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
)

// Topic names one gossip channel of a chain.
type Topic string

const (
	TopicTxs       Topic = "txs"
	TopicProposals Topic = "proposals"
	TopicVotes     Topic = "votes"
)

// Validator checks one gossip message before it is delivered or relayed and
// returns its decoded value. An error drops the message and counts against
// the peer that sent it, unless it wraps ErrIgnore.
type Validator func(data []byte) (any, error)

// ErrIgnore marks a message dropped without blame: well formed and honestly
// signed, but not worth delivering or relaying (a proposal for a height
// already decided here, or too far ahead to check).
var ErrIgnore = errors.New("ignored")

// Inbound is a validated message from a peer.
type Inbound struct {
	Topic Topic
	From  peer.ID
	Value any
}

// Config configures the network.
type Config struct {
	ChainID    string
	Key        *ecdsa.PrivateKey // the node's identity: the validator key, or an observer's node key
	Listen     []ma.Multiaddr
	Bootnodes  []peer.AddrInfo
	Validators []common.Address // validators admitted by the gater at start (SetValidators replaces them)
	Observers  []peer.ID        // extra peers admitted by the gater
	Topics     map[Topic]Validator
	Blocks     BlockSource    // serves sync requests; nil serves nothing
	Snapshots  SnapshotSource // serves snapshot requests; nil serves nothing
	// MeshDegree is how many peers each node relays every gossip message
	// to, besides the author's own sending to all its peers (flood
	// publish); 0 means DefaultMeshDegree. See meshParams.
	MeshDegree int
	Log        *slog.Logger
}

// DefaultMeshDegree is gossipsub's own mesh degree.
const DefaultMeshDegree = 6

// MeshDegree's bounds: gossipsub needs at least one outbound-free slot
// below D/2, and its upper mesh bound is twice D.
const (
	MinMeshDegree = 2
	MaxMeshDegree = 12
)

// Network is a running libp2p host with its gossip topics.
type Network struct {
	cfg    Config
	host   host.Host
	gater  *gater
	ps     *pubsub.PubSub
	topics map[Topic]*pubsub.Topic
	in     chan Inbound
	cancel context.CancelFunc

	rotation syncRotation // the order Sync asks peers in
	wg       sync.WaitGroup
	log      *slog.Logger
	// published numbers this node's gossip publications (frame); it starts
	// at random so a restarted node's re-sends are not taken for the
	// messages of its previous run.
	published atomic.Uint64
}

// maxGossipBytes bounds one gossip message (a proposal carries its block).
const maxGossipBytes = 8 << 20

// New starts the host, joins the chain's topics and begins dialing bootnodes.
func New(cfg Config) (*Network, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	priv, err := PrivKey(cfg.Key)
	if err != nil {
		return nil, err
	}
	gossipParams, err := meshParams(cfg.MeshDegree)
	if err != nil {
		return nil, err
	}
	g := newGater(cfg.Validators, cfg.Observers, cfg.Log)
	h, err := libp2p.New(
		libp2p.Identity(priv),
		libp2p.ListenAddrs(cfg.Listen...),
		libp2p.Transport(tcp.NewTCPTransport),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ConnectionGater(g),
		libp2p.DisableRelay(),
		libp2p.UserAgent("sovereign"),
	)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Network{cfg: cfg, host: h, gater: g, topics: map[Topic]*pubsub.Topic{}, in: make(chan Inbound, 4096), cancel: cancel, log: cfg.Log}
	n.published.Store(mrand.Uint64())
	var topicNames []string
	for t := range cfg.Topics {
		topicNames = append(topicNames, n.topicName(t))
	}
	n.ps, err = pubsub.NewGossipSub(ctx, h,
		pubsub.WithPeerScore(peerScoreParams(topicNames), peerScoreThresholds()),
		pubsub.WithPeerScoreInspect(pubsub.PeerScoreInspectFn(n.inspectScores), scoreInspectEvery),
		pubsub.WithMaxMessageSize(maxGossipBytes),
		pubsub.WithPeerExchange(false),
		pubsub.WithFloodPublish(true),
		// Unsigned, authorless, identified by content (ADR 0013): every
		// payload is signed by its author at the application layer.
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(contentID),
		pubsub.WithPeerOutboundQueueSize(1024),
		pubsub.WithValidateQueueSize(1024),
		pubsub.WithGossipSubParams(gossipParams),
	)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	for topic, validate := range cfg.Topics {
		if err := n.join(ctx, topic, validate); err != nil {
			n.Close()
			return nil, err
		}
	}
	if cfg.Blocks != nil {
		h.SetStreamHandler(n.syncProtocol(), n.serveSync)
	}
	if cfg.Snapshots != nil {
		h.SetStreamHandler(n.snapshotProtocol(), n.serveSnapshot)
	}
	n.wg.Add(1)
	go n.keepConnected(ctx)
	return n, nil
}

func (n *Network) topicName(t Topic) string {
	return fmt.Sprintf("/sovereign/%s/%s/1", n.cfg.ChainID, t)
}

func (n *Network) join(ctx context.Context, t Topic, validate Validator) error {
	name := n.topicName(t)
	self := n.host.ID()
	err := n.ps.RegisterTopicValidator(name, func(_ context.Context, from peer.ID, msg *pubsub.Message) pubsub.ValidationResult {
		if from == self {
			// Our own message: built from values we checked already, and
			// never delivered back to us; validating it again would, for
			// transactions, recover every signature a second time.
			return pubsub.ValidationAccept
		}
		payload, err := unframe(msg.Data)
		var v any
		if err == nil {
			v, err = validate(payload)
		}
		switch {
		case errors.Is(err, ErrIgnore):
			return pubsub.ValidationIgnore
		case err != nil:
			n.log.Debug("dropped gossip message", "topic", t, "from", from, "err", err)
			return pubsub.ValidationReject
		}
		msg.ValidatorData = v
		return pubsub.ValidationAccept
	})
	if err != nil {
		return fmt.Errorf("register validator for %s: %w", name, err)
	}
	topic, err := n.ps.Join(name)
	if err != nil {
		return fmt.Errorf("join %s: %w", name, err)
	}
	sub, err := topic.Subscribe()
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", name, err)
	}
	n.topics[t] = topic
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			msg, err := sub.Next(ctx)
			if err != nil {
				return
			}
			if msg.ReceivedFrom == self {
				continue // our own messages: consensus already counted them
			}
			select {
			case n.in <- Inbound{Topic: t, From: msg.ReceivedFrom, Value: msg.ValidatorData}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// Messages delivers validated messages from peers.
func (n *Network) Messages() <-chan Inbound { return n.in }

// Publish sends data on a topic to all peers.
func (n *Network) Publish(ctx context.Context, t Topic, data []byte) error {
	topic, ok := n.topics[t]
	if !ok {
		return fmt.Errorf("topic %s not joined", t)
	}
	return topic.Publish(ctx, n.frame(data))
}

// Gossip carries no author and no libp2p signature, so a message's id is
// the hash of its bytes. The consensus core re-sends its messages unchanged
// to recover from loss (ECDSA signatures here are deterministic), and the
// seen-cache would swallow every re-send of a message whose first sending
// reached nobody: clusters stalled at start that way (ADR 0013). So each
// publication is framed with its own 8-byte number, making re-sends new
// messages while relays of one publication keep its id.
const frameLen = 8

func contentID(m *pb.Message) string {
	h := sha256.Sum256(m.Data)
	return string(h[:])
}

func (n *Network) frame(data []byte) []byte {
	out := make([]byte, frameLen+len(data))
	binary.BigEndian.PutUint64(out, n.published.Add(1))
	copy(out[frameLen:], data)
	return out
}

func unframe(data []byte) ([]byte, error) {
	if len(data) < frameLen {
		return nil, fmt.Errorf("gossip message of %d bytes, shorter than its %d-byte frame", len(data), frameLen)
	}
	return data[frameLen:], nil
}

// ID is this node's peer id.
func (n *Network) ID() peer.ID { return n.host.ID() }

// Addrs are this node's listen addresses, each with /p2p/ID.
func (n *Network) Addrs() []ma.Multiaddr {
	info := peer.AddrInfo{ID: n.host.ID(), Addrs: n.host.Addrs()}
	out, _ := peer.AddrInfoToP2pAddrs(&info)
	return out
}

// Peers lists connected peers.
func (n *Network) Peers() []peer.ID { return n.host.Network().Peers() }

// keepConnected dials every bootnode that is not connected, now and every
// few seconds, so a restarted peer is found again.
func (n *Network) keepConnected(ctx context.Context) {
	defer n.wg.Done()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		for _, b := range n.cfg.Bootnodes {
			if b.ID == n.host.ID() || n.host.Network().Connectedness(b.ID) == network.Connected {
				continue
			}
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err := n.host.Connect(dctx, b); err != nil && !errors.Is(err, context.Canceled) {
				n.log.Debug("bootnode not reachable", "peer", b.ID, "err", err)
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close stops the host.
func (n *Network) Close() error {
	n.cancel()
	err := n.host.Close()
	n.wg.Wait()
	return err
}

// ParseBootnodes parses multiaddrs that end in /p2p/ID.
func ParseBootnodes(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	for _, s := range addrs {
		if s == "" {
			continue
		}
		m, err := ma.NewMultiaddr(s)
		if err != nil {
			return nil, fmt.Errorf("bootnode %q: %w", s, err)
		}
		info, err := peer.AddrInfoFromP2pAddr(m)
		if err != nil {
			return nil, fmt.Errorf("bootnode %q must end in /p2p/PEER_ID: %w", s, err)
		}
		out = append(out, *info)
	}
	return out, nil
}

// meshParams are gossipsub's parameters with mesh degree d. Every author
// sends its message to all its peers (flood publish), and validators are
// all connected to one another, so among validators the mesh only carries
// redundant copies: each node relays each message to about d peers, and
// receives about d copies of it. A smaller d saves those copies (at 10
// validators, d = 2 took a third off the CPU per height; at 7, a tenth to
// a third; docs/PERFORMANCE.md)
// and still covers a broken link, since each node keeps at least d-1
// relays; observers, which reach validators only through the mesh, then
// lean more on block sync.
func meshParams(d int) (pubsub.GossipSubParams, error) {
	p := pubsub.DefaultGossipSubParams()
	if d == 0 || d == DefaultMeshDegree {
		return p, nil
	}
	if d < MinMeshDegree || d > MaxMeshDegree {
		return p, fmt.Errorf("mesh degree %d: want %d to %d", d, MinMeshDegree, MaxMeshDegree)
	}
	p.D, p.Dlo, p.Dhi = d, d-1, 2*d
	p.Dscore, p.Dout = min(p.Dscore, p.Dlo), min(p.Dout, p.Dlo-1, d/2-1)
	return p, nil
}
