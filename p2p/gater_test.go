package p2p

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	lcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

func ed25519PeerID(t *testing.T) peer.ID {
	t.Helper()
	priv, _, err := lcrypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestGaterAdmission: the gater admits exactly the genesis validators (by
// the address inside a secp256k1 peer id) and the configured observers, at
// every interception point that names a peer.
func TestGaterAdmission(t *testing.T) {
	observer := ed25519PeerID(t)
	g := newGater(testValidators(t, 3), []peer.ID{observer, testPeerID(t, testKey(t, 50))}, slog.New(slog.DiscardHandler))
	addr := ma.StringCast("/ip4/127.0.0.1/tcp/1")
	for _, tc := range []struct {
		name  string
		id    peer.ID
		admit bool
	}{
		{"validator 0", testPeerID(t, testKey(t, 0)), true},
		{"validator 2", testPeerID(t, testKey(t, 2)), true},
		{"secp256k1 observer", testPeerID(t, testKey(t, 50)), true},
		{"ed25519 observer", observer, true},
		{"secp256k1 stranger", testPeerID(t, testKey(t, 3)), false},
		{"ed25519 stranger", ed25519PeerID(t), false},
		{"id without a key", peer.ID("not a peer id"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]bool{
				"Allowed":              g.Allowed(tc.id),
				"InterceptPeerDial":    g.InterceptPeerDial(tc.id),
				"InterceptAddrDial":    g.InterceptAddrDial(tc.id, addr),
				"InterceptSecured in":  g.InterceptSecured(network.DirInbound, tc.id, nil),
				"InterceptSecured out": g.InterceptSecured(network.DirOutbound, tc.id, nil),
			}
			for point, admit := range got {
				if admit != tc.admit {
					t.Errorf("%s = %v, want %v", point, admit, tc.admit)
				}
			}
		})
	}
}

// TestGaterRefusalLogBounded: a refused peer is logged once a minute, not on
// every attempt, and a stranger cycling through fresh peer ids neither grows
// the gater's memory past refusalLogPeers nor floods the log.
func TestGaterRefusalLogBounded(t *testing.T) {
	logs := &logCounter{}
	g := newGater(testValidators(t, 1), nil, slog.New(logs))
	now := time.Unix(1_700_000_000, 0)
	g.now = func() time.Time { return now }

	stranger := testPeerID(t, testKey(t, 9))
	for range 5 {
		g.InterceptSecured(network.DirInbound, stranger, nil)
		g.InterceptPeerDial(stranger)
	}
	if logs.count() != 1 {
		t.Fatalf("10 refusals of one peer within a minute logged %d times, want 1", logs.count())
	}
	now = now.Add(refusalLogEvery)
	g.InterceptPeerDial(stranger)
	if logs.count() != 2 {
		t.Fatalf("refusal a minute later logged %d times in all, want 2", logs.count())
	}

	before := logs.count()
	for i := range 3 * refusalLogPeers {
		g.InterceptSecured(network.DirInbound, peer.ID(fmt.Sprintf("fake-%d", i)), nil)
	}
	if n := len(g.logged); n > refusalLogPeers {
		t.Fatalf("gater remembers %d refused peers, limit %d", n, refusalLogPeers)
	}
	if logged := logs.count() - before; logged > refusalLogPeers {
		t.Fatalf("%d fresh peer ids produced %d log lines, limit %d a minute", 3*refusalLogPeers, logged, refusalLogPeers)
	}
	// Once the entries expire, refusals are logged again.
	now = now.Add(refusalLogEvery)
	before = logs.count()
	g.InterceptPeerDial(testPeerID(t, testKey(t, 10)))
	if logs.count() != before+1 {
		t.Fatal("refusal after the log's entries expired was not logged")
	}
}

// TestGaterOnHosts: real hosts on loopback. A validator and a configured
// observer connect; a stranger is refused in both directions and cannot
// open a stream.
func TestGaterOnHosts(t *testing.T) {
	observerKey := testKey(t, 60)
	logs := &logCounter{}
	a := startNetwork(t, 0, func(c *Config) {
		c.Validators = testValidators(t, 2)
		c.Observers = []peer.ID{testPeerID(t, observerKey)}
		c.Blocks = newMemSource(t, 3)
		c.Log = slog.New(logs)
	})
	b := startNetwork(t, 1, nil)
	obs := startNetwork(t, 60, nil)
	stranger := startNetwork(t, 2, func(c *Config) { c.Observers = []peer.ID{a.ID()} })

	mustConnect(t, b, a)
	mustConnect(t, obs, a)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := connect(ctx, stranger, a); err == nil {
		// The dialer may finish its side of the handshake before a
		// closes the connection; it must not stay connected.
		eventually(t, "a to drop the stranger", func() bool { return !slices.Contains(a.Peers(), stranger.ID()) })
	}
	if err := connect(ctx, a, stranger); err == nil {
		t.Fatal("a dialed a stranger")
	}
	if _, err := stranger.FetchBlocks(ctx, a.ID(), 1, 3); err == nil {
		t.Fatal("a stranger fetched blocks")
	}
	if got, err := obs.FetchBlocks(ctx, a.ID(), 1, 3); err != nil || len(got) != 3 {
		t.Fatalf("observer fetched %d blocks: %v", len(got), err)
	}
	peers := a.Peers()
	if !slices.Contains(peers, b.ID()) || !slices.Contains(peers, obs.ID()) || slices.Contains(peers, stranger.ID()) {
		t.Fatalf("a's peers %v: want validator %s and observer %s, not stranger %s", peers, b.ID(), obs.ID(), stranger.ID())
	}
	if logs.count() == 0 {
		t.Fatal("refusing the stranger was not logged")
	}
}
