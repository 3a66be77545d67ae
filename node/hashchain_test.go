package node

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestHashChainRotates: a validator whose hash chain holds only a few
// reveals commits its next chain in time, again and again, so the chain
// (here a lone validator's) never stops; a restart finds the generated
// chains on disk and goes on.
func TestHashChainRotates(t *testing.T) {
	const length = 4
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(20 * time.Millisecond)
	secret := devnet.HashChainSecret(devnet.Seed, 0)
	g.Validators[0].RevealTip = chain.NewHashChain(secret, length).Tip()
	g.Validators[0].RevealLength = length
	dir := t.TempDir()
	start := func() *Node {
		n, err := New(Config{
			DataDir: dir, Genesis: g,
			Key: devnet.Key(devnet.Seed, "validator", 0), HashChainSecret: secret, HashChainLength: length,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitHeight := func(n *Node, h uint64) {
		deadline := time.Now().Add(20 * time.Second)
		for n.Ledger().Head().Height < h {
			select {
			case err := <-n.Fatal():
				t.Fatalf("node stopped: %v", err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("stuck at height %d, want %d", n.Ledger().Head().Height, h)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	n := start()
	waitHeight(n, 5*length)
	n.Close()
	files, _ := os.ReadDir(filepath.Join(dir, "hashchains"))
	if len(files) < 4 {
		t.Fatalf("%d generated hash chains on disk after %d blocks of %d-reveal chains", len(files), 5*length, length)
	}
	n = start()
	defer n.Close()
	waitHeight(n, 8*length)
}
