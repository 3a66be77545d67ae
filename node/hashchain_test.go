package node

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestSpentHashChainDoesNotCrash: a validator whose reveals are used up
// stops proposing (loudly) but keeps running: it still votes, syncs and
// serves, and a multi-validator chain goes on with the other holders.
func TestSpentHashChainDoesNotCrash(t *testing.T) {
	const length = 3
	g := chain.DevGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(20 * time.Millisecond)
	secret := chain.DevHashChainSecret(chain.DevSeed, 0)
	g.Validators[0].RevealTip = chain.NewHashChain(secret, length).Tip()
	n, err := New(Config{
		DataDir: t.TempDir(), Genesis: g,
		Key: chain.DevKey(chain.DevSeed, "validator", 0), HashChainSecret: secret, HashChainLength: length,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	deadline := time.Now().Add(10 * time.Second)
	for n.Ledger().Head().Height < length {
		if time.Now().After(deadline) {
			t.Fatalf("stuck at height %d", n.Ledger().Head().Height)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-n.Fatal():
		t.Fatalf("node stopped: %v", err)
	case <-time.After(time.Second):
	}
	if h := n.Ledger().Head().Height; h != length {
		t.Fatalf("height %d with a hash chain of %d reveals", h, length)
	}
}
