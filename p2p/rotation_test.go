package p2p

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// countingSource counts the sync requests a server answers.
type countingSource struct {
	*memSource
	requests atomic.Int64
}

func (c *countingSource) HeadHeight() uint64 {
	c.requests.Add(1) // writeSyncResponse reads the head once per request
	return c.memSource.HeadHeight()
}

// TestSyncRotatesPeers: real hosts on loopback. A node behind three peers
// that all have the chain syncs six times: each peer serves two requests,
// the order rotating, rather than the first peer serving all six.
func TestSyncRotatesPeers(t *testing.T) {
	src := newMemSource(t, 5)
	behind := startNetwork(t, 0, nil)
	servers := make([]*countingSource, 3)
	for i := range servers {
		servers[i] = &countingSource{memSource: src}
		n := startNetwork(t, i+1, func(c *Config) { c.Blocks = servers[i] })
		mustConnect(t, behind, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var order []peer.ID
	for range 6 {
		blocks, p, err := behind.Sync(ctx, 1, 2)
		if err != nil || len(blocks) != 2 {
			t.Fatalf("sync: %d blocks, %v", len(blocks), err)
		}
		order = append(order, p)
	}
	for i, s := range servers {
		if got := s.requests.Load(); got != 2 {
			t.Errorf("server %d answered %d of 6 requests, want 2", i, got)
		}
	}
	for i := 3; i < 6; i++ {
		if order[i] != order[i-3] || order[i] == order[i-1] {
			t.Fatalf("peers asked in order %v, want a rotation", order)
		}
	}
}

// TestRotationOrder: the order starts after the previous round's first
// peer, survives peers leaving and joining, and an empty list.
func TestRotationOrder(t *testing.T) {
	var r syncRotation
	a, b, c, d := peer.ID("a"), peer.ID("b"), peer.ID("c"), peer.ID("d")
	for _, step := range []struct {
		peers []peer.ID
		first peer.ID
	}{
		{[]peer.ID{c, a, b}, a},
		{[]peer.ID{c, a, b}, b},
		{[]peer.ID{b, c, a}, c},
		{[]peer.ID{a, b, c}, a},
		{[]peer.ID{b, d}, b}, // a left: the next after a is b
		{[]peer.ID{b, d}, d},
		{[]peer.ID{a, c}, a}, // d was last: wraps around
		{nil, ""},
	} {
		got := r.order(step.peers, time.Now())
		if len(got) != len(step.peers) {
			t.Fatalf("order(%v) = %v", step.peers, got)
		}
		if len(got) > 0 && got[0] != step.first {
			t.Fatalf("order(%v) starts with %s, want %s", step.peers, got[0], step.first)
		}
	}
}

// TestRotationBenchesRefusedPeers: a peer whose blocks failed verification
// is asked after every other peer until its bench is over, then takes its
// turn again; alone, it is still asked.
func TestRotationBenchesRefusedPeers(t *testing.T) {
	var r syncRotation
	a, b, c := peer.ID("a"), peer.ID("b"), peer.ID("c")
	now := time.Unix(1000, 0)
	r.bench(a, now)
	for i := range 6 {
		got := r.order([]peer.ID{a, b, c}, now.Add(time.Duration(i)*time.Second))
		if got[0] == a || got[len(got)-1] != a {
			t.Fatalf("round %d: order %v, want the benched peer last", i, got)
		}
	}
	if got := r.order([]peer.ID{a}, now); len(got) != 1 || got[0] != a {
		t.Fatalf("a benched peer alone: %v", got)
	}
	later := now.Add(SyncBench + time.Second)
	firsts := map[peer.ID]bool{}
	for range 3 {
		firsts[r.order([]peer.ID{a, b, c}, later)[0]] = true
	}
	if !firsts[a] {
		t.Fatalf("after the bench a never went first: %v", firsts)
	}
}
