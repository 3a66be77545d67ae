package node

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestEvidenceGoesOnChain: equivocation the core reports becomes an
// evidence transaction from the validator's account, final once, and a
// record in state.
func TestEvidenceGoesOnChain(t *testing.T) {
	n := startNode(t, t.TempDir())
	defer n.Close()
	key := devnet.Key(devnet.Seed, "validator", 0)
	vote := func(block common.Hash) *consensus.Vote {
		v := &consensus.Vote{Type: chain.VotePrevote, Height: 3, Round: 0, BlockHash: block, Validator: crypto.PubkeyToAddress(key.PublicKey)}
		v.Sig, _ = crypto.Sign(v.SignHash("sovereign-devnet").Bytes(), key)
		return v
	}
	ev := consensus.Evidence{A: vote(common.Hash{1}), B: vote(common.Hash{2})}
	sub := &n.driver.evidence
	if err := sub.submit(ev); err != nil {
		t.Fatal(err)
	}
	if err := sub.submit(ev); err != nil { // the same offence twice: submitted once
		t.Fatal(err)
	}
	key2 := chain.EvidenceKey(ev.A.Validator, 3, 0, chain.VotePrevote)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if v, err := n.store.StateKV().Get(key2); err == nil && v != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("evidence record never reached state")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if acct, _, _ := n.ledger.Account(ev.A.Validator); acct.Nonce != 1 {
		t.Fatalf("validator account nonce %d, want 1 (one evidence transaction)", acct.Nonce)
	}
}
