package p2p

import (
	"slices"
	"testing"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
)

// TestMeshParams: every allowed mesh degree gives parameters gossipsub
// accepts (starting a network with them succeeds), the default is
// gossipsub's own, and the rest are refused with an error naming the
// degree.
func TestMeshParams(t *testing.T) {
	for _, d := range append([]int{0}, rangeInts(MinMeshDegree, MaxMeshDegree)...) {
		p, err := meshParams(d)
		if err != nil {
			t.Fatalf("degree %d: %v", d, err)
		}
		if d != 0 && p.D != d {
			t.Fatalf("degree %d: D = %d", d, p.D)
		}
		startNetwork(t, 0, func(c *Config) { c.MeshDegree = d }) // fails the test if gossipsub refuses them
	}
	if p, _ := meshParams(0); p != pubsub.DefaultGossipSubParams() || p.D != DefaultMeshDegree {
		t.Fatal("degree 0 must be gossipsub's default")
	}
	for _, d := range []int{-1, 1, MaxMeshDegree + 1} {
		if _, err := meshParams(d); err == nil {
			t.Fatalf("degree %d accepted", d)
		}
		if _, err := New(Config{ChainID: testChainID, Key: testKey(t, 0), MeshDegree: d}); err == nil {
			t.Fatalf("New accepted mesh degree %d", d)
		}
	}
}

// TestSmallestMeshRelays: with the smallest mesh, a node still relays: on
// a line a - b - c, a transaction a publishes reaches c through b.
func TestSmallestMeshRelays(t *testing.T) {
	var nets []*Network
	for i := 0; i < 3; i++ {
		v := newTxValidator(testChainID)
		nets = append(nets, startNetwork(t, i, func(c *Config) {
			c.Topics = map[Topic]Validator{TopicTxs: v.validate}
			c.MeshDegree = MinMeshDegree
		}))
	}
	a, b, c := nets[0], nets[1], nets[2]
	inC := collect(c)
	mustConnect(t, a, b)
	mustConnect(t, c, b)
	eventually(t, "topic peers a-b-c", func() bool {
		return slices.Contains(topicPeers(a, TopicTxs), b.ID()) && len(topicPeers(b, TopicTxs)) == 2
	})
	publishUntilSeen(t, a, inC, testKey(t, 100))
}

func rangeInts(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}
