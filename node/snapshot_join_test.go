package node_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/node/devnode"
	"github.com/sovereign-ledger/sovereign/p2p"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/snapshot"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// TestJoinFromSnapshot: a running validator takes snapshots and serves
// them; a new observer started with SnapshotSync on an empty data dir
// joins from one (its store starts at the snapshot's height, not at
// genesis), reports the validator's state root at the same height, and
// then follows the chain by block sync.
func TestJoinFromSnapshot(t *testing.T) {
	joinerKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	joinerID, err := p2p.PeerID(joinerKey)
	if err != nil {
		t.Fatal(err)
	}
	vdir := t.TempDir()
	v := devnode.Start(t, vdir, func(c *node.Config) {
		c.P2PListen = []string{"/ip4/127.0.0.1/tcp/0"}
		c.Observers = []string{joinerID.String()}
		c.SnapshotInterval = 20
	})
	v.Workload(4) // state beyond genesis: accounts, escrows, feedback
	waitFor(t, "the validator's first snapshot", func() bool {
		entries, _ := os.ReadDir(filepath.Join(vdir, "snapshots"))
		return len(entries) > 0
	})

	var logs slog.Handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})
	o := devnode.Start(t, t.TempDir(), func(c *node.Config) {
		c.Key, c.NodeKey = nil, joinerKey
		c.P2PListen = []string{"/ip4/127.0.0.1/tcp/0"}
		c.Bootnodes = v.Node.P2PAddrs()
		c.SnapshotSync = &snapshot.Trust{}
		c.Logger = slog.New(logs)
	})
	base, ok, err := o.Node.Ledger().DB().SnapshotBase()
	if err != nil || !ok || base == 0 {
		t.Fatalf("observer's store has no snapshot base (%d, %v, %v): it did not join from a snapshot", base, ok, err)
	}
	if _, err := o.Node.Ledger().DB().BlockByHeight(1); err == nil {
		t.Fatal("observer holds block 1: it replayed instead of joining from the snapshot")
	}
	// What it never had, it says so: block 1 is before the snapshot.
	if _, err := o.Client.BlockByNumber(o.Ctx, rpc.BlockRef{Height: 1}, false); !wallet.IsCode(err, rpc.ErrCodeBeforeSnapshot) {
		t.Fatalf("block 1 from the observer: %v, want code %s", err, rpc.ErrCodeBeforeSnapshot)
	}
	if _, err := o.Client.KeyPath(o.Ctx, 8); !wallet.IsCode(err, rpc.ErrCodeBeforeSnapshot) {
		t.Fatalf("key path from the observer: %v, want code %s", err, rpc.ErrCodeBeforeSnapshot)
	}
	if ci, err := o.Client.ChainInfo(o.Ctx); err != nil || ci.HistoryFrom != base {
		t.Fatalf("chain info history_from %v (%v), want %d", ci, err, base)
	}
	if _, err := o.Client.BlockByNumber(o.Ctx, rpc.BlockRef{Height: base}, false); err != nil {
		t.Fatalf("the snapshot's own block %d: %v", base, err)
	}
	// The observer follows: it reaches heights past the snapshot, with the
	// validator's state root at each height it compares.
	target := base + 10
	waitFor(t, "the observer to follow past the snapshot", func() bool { return o.Node.Ledger().Head().Height >= target })
	for h := base; h <= target; h++ {
		ob, err := o.Node.Ledger().DB().BlockByHeight(h)
		if err != nil {
			t.Fatalf("observer block %d: %v", h, err)
		}
		vb, err := v.Node.Ledger().DB().BlockByHeight(h)
		if err != nil {
			t.Fatalf("validator block %d: %v", h, err)
		}
		if ob.Hash() != vb.Hash() || ob.Header.StateRoot != vb.Header.StateRoot {
			t.Fatalf("height %d: observer has block %s root %s, validator %s root %s", h, ob.Hash(), ob.Header.StateRoot, vb.Hash(), vb.Header.StateRoot)
		}
	}
	// Carried traffic keeps both in step.
	v.Workload(1)
	head := v.Node.Ledger().Head()
	waitFor(t, "the observer to reach the validator's head", func() bool { return o.Node.Ledger().Head().Height >= head.Height })
	ob, err := o.Node.Ledger().DB().BlockByHeight(head.Height)
	if err != nil || ob.Header.StateRoot != head.StateRoot {
		t.Fatalf("at height %d the observer's state root differs (%v)", head.Height, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
