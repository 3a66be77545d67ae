package node

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
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

// TestProposalEvidenceListed: two proposals the key holder signed for one
// height and round, as the core reports them, go on chain from the
// validator's account and are listed by sov_listEvidence as "proposal".
func TestProposalEvidenceListed(t *testing.T) {
	n := startNode(t, t.TempDir())
	defer n.Close()
	key := devnet.Key(devnet.Seed, "validator", 0)
	holder := crypto.PubkeyToAddress(key.PublicKey)
	proposal := func(parent common.Hash) *consensus.Proposal {
		b := &chain.Block{Header: &chain.Header{ChainID: "sovereign-devnet", Height: 5, Round: 2, Parent: parent, Proposer: holder}}
		p := &consensus.Proposal{Height: 5, Round: 2, POLRound: -1, Block: b}
		p.Sig, _ = crypto.Sign(p.SignHash("sovereign-devnet").Bytes(), key)
		return p
	}
	ev := consensus.Evidence{ProposalA: proposal(common.Hash{1}), ProposalB: proposal(common.Hash{2}), Holder: holder}
	if err := n.driver.evidence.submit(ev); err != nil {
		t.Fatal(err)
	}
	client, err := gethrpc.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var list []rpc.Evidence
		if err := client.Call(&list, "sov_listEvidence", rpc.EvidenceQuery{Offender: &holder}); err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			e := list[0]
			if e.Vote != "proposal" || e.Height != 5 || e.Round != 2 || e.Votes[0].BlockHash != ev.ProposalA.Block.Hash() || e.IncludedAt == 0 {
				t.Fatalf("listed %+v", e)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("proposal evidence never listed: %+v", list)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
