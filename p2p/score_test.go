package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

// TestFloodingPeerDisconnected: real hosts on loopback. b is an admitted
// peer (a validator's key) that floods junk on the transactions topic;
// c is an honest peer. a's peer score for b falls below disconnectScore:
// a disconnects b, its gater refuses b's redial while the ban lasts, and
// c stays connected and delivered.
func TestFloodingPeerDisconnected(t *testing.T) {
	va, vb, vc := newTxValidator(testChainID), newTxValidator(testChainID), newTxValidator(testChainID)
	logs := &logCounter{}
	a := startNetwork(t, 0, func(c *Config) {
		c.Topics = map[Topic]Validator{TopicTxs: va.validate}
		c.Log = slog.New(logs)
	})
	b, c := txNetwork(t, 1, vb), txNetwork(t, 2, vc)
	inA := collect(a)
	mustConnect(t, b, a)
	mustConnect(t, c, a)
	eventually(t, "b and c on a's topic", func() bool {
		peers := topicPeers(a, TopicTxs)
		return slices.Contains(peers, b.ID()) && slices.Contains(peers, c.ID())
	})

	// b floods junk, which its own node publishes without validating.
	for i := range 200 {
		publish(t, b, []byte(fmt.Sprintf("junk %d", i)))
	}
	eventually(t, "a disconnects b", func() bool {
		return a.host.Network().Connectedness(b.ID()) != network.Connected
	})
	if !a.gater.isBanned(b.ID()) {
		t.Fatal("b is disconnected but not banned")
	}
	// b's redial is refused while the ban lasts.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.host.Connect(ctx, peer.AddrInfo{ID: a.ID(), Addrs: a.host.Addrs()})
	time.Sleep(200 * time.Millisecond)
	if a.host.Network().Connectedness(b.ID()) == network.Connected {
		t.Fatal("a banned b, yet b connected again")
	}

	// c, honest, is still connected and heard.
	if a.host.Network().Connectedness(c.ID()) != network.Connected {
		t.Fatal("the honest peer was disconnected too")
	}
	tx := signedTx(t, testChainID, 1, testKey(t, 100))
	publish(t, c, tx.Bytes())
	eventually(t, "c's transaction at a", func() bool { return inA.has(tx.Hash()) })
	if a.gater.isBanned(c.ID()) {
		t.Fatal("the honest peer is banned")
	}
}

// TestBanExpires: a ban lasts banFor and then the peer is admitted again;
// strangers cannot be banned (they are refused anyway, and banning them
// would let peer ids grow the list).
func TestBanExpires(t *testing.T) {
	g := newGater(testValidators(t, 2), nil, slog.New(slog.DiscardHandler))
	now := time.Unix(1_700_000_000, 0)
	g.now = func() time.Time { return now }
	v := testPeerID(t, testKey(t, 1))
	if !g.ban(v, banFor) || g.ban(v, banFor) {
		t.Fatal("first ban must take, a second while banned must not")
	}
	if g.Allowed(v) {
		t.Fatal("banned validator allowed")
	}
	now = now.Add(banFor)
	if !g.Allowed(v) {
		t.Fatal("validator still refused after the ban")
	}
	if g.ban(testPeerID(t, testKey(t, 9)), banFor) || len(g.banned) != 0 {
		t.Fatal("a stranger was put on the ban list")
	}
}
