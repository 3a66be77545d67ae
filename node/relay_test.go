package node

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/p2p"
)

// TestRelayOnlyRightfulProposals: the proposals topic's validator passes
// the key holder's proposal for the height being decided, refuses (with
// blame) another validator's for the same round, passes the next height's
// unchecked, and ignores (without blame) decided and far-future heights.
func TestRelayOnlyRightfulProposals(t *testing.T) {
	g := devnet.DefaultGenesis(4)
	n, err := New(Config{DataDir: t.TempDir(), Genesis: g, Store: ledger.NewMemStore(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	vs := n.ledger.Validators()
	seed := chain.GenesisSeed(g)
	const round = 3
	holder, other := -1, -1
	for i := range 4 {
		if consensus.IsRightfulProposer(vs, seed, round, devnet.Address(devnet.Seed, "validator", i)) {
			holder = i
		} else if other < 0 {
			other = i
		}
	}
	if holder < 0 {
		t.Fatal("no holder for round 3")
	}
	proposal := func(signer int, height uint64) []byte {
		p := &consensus.Proposal{Height: height, Round: round, POLRound: -1,
			Block: &chain.Block{Header: &chain.Header{ChainID: g.ChainID, Height: height}}}
		sig, err := crypto.Sign(p.SignHash(g.ChainID).Bytes(), devnet.Key(devnet.Seed, "validator", signer))
		if err != nil {
			t.Fatal(err)
		}
		p.Sig = sig
		return consensus.Message{Proposal: p}.Encode()
	}
	validate := n.validateConsensus(true)
	for _, tc := range []struct {
		name   string
		data   []byte
		want   error // nil: relayed
		ignore bool
	}{
		{"the holder's proposal", proposal(holder, 1), nil, false},
		{"another validator's proposal for the holder's round", proposal(other, 1), consensus.ErrNotHolder, false},
		{"the next height's, seed unknown yet", proposal(other, 2), nil, false},
		{"a height too far ahead", proposal(holder, 3), p2p.ErrIgnore, true},
	} {
		_, err := validate(tc.data)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if ignored := errors.Is(err, p2p.ErrIgnore); ignored != tc.ignore {
			t.Errorf("%s: ignored=%v, want %v", tc.name, ignored, tc.ignore)
		}
	}
	n.next.Store(&nextHeight{height: 5, seed: seed})
	if _, err := validate(proposal(holder, 1)); !errors.Is(err, p2p.ErrIgnore) {
		t.Errorf("a proposal for a decided height: %v, want ignored", err)
	}
}
