package node

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestAutoVoteEvidence: a final block that opened an evidence removal
// proposal (proposal_opened with no proposer) makes a validator's node vote
// for it from its own account; not for its own removal, and not at all
// with governance.auto-vote-evidence off.
func TestAutoVoteEvidence(t *testing.T) {
	n := startNode(t, t.TempDir())
	defer n.Close()
	self := devnet.Address(devnet.Seed, "validator", 0)
	opened := func(target common.Address) []*chain.Receipt {
		return []*chain.Receipt{{Events: []chain.Event{{Kind: chain.EventProposalOpened, Record: common.Hash{7}, Accounts: []common.Address{target}}}}}
	}
	nonce := func() uint64 {
		acct, _, _ := n.ledger.Account(self)
		return acct.Nonce
	}
	waitNonce := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for nonce() != want {
			if time.Now().After(deadline) {
				t.Fatalf("validator nonce %d, want %d", nonce(), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	n.driver.autoVote(opened(self)) // its own removal: no vote
	n.driver.autoVote(opened(common.Address{9}))
	waitNonce(1) // exactly one vote went out and became final
	n.cfg.NoAutoVoteEvidence = true
	n.driver.autoVote(opened(common.Address{9}))
	time.Sleep(500 * time.Millisecond) // several 100 ms blocks
	waitNonce(1)
}
