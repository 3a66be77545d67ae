package ledger

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestBlockValidity: every header claim is checked before a block can be
// final, so no proposer can lie about its place, time, key or roots.
func TestBlockValidity(t *testing.T) {
	f := newFixture(t, 2)
	f.block() // height 1, so later blocks need a parent certificate
	alice, bob := f.customers[0], f.customers[1]
	other := devnet.Key(testSeed, "validator", 9)

	cases := []struct {
		name   string
		mutate func(b *chain.Block)
	}{
		{"wrong chain id", func(b *chain.Block) { b.Header.ChainID = "x" }},
		{"wrong height", func(b *chain.Block) { b.Header.Height++ }},
		{"wrong parent", func(b *chain.Block) { b.Header.Parent = common.Hash{1} }},
		{"time not after parent", func(b *chain.Block) { b.Header.Time = f.ledger.Head().Time }},
		{"wrong proposer", func(b *chain.Block) { b.Header.Proposer = addr(other) }},
		{"wrong reveal", func(b *chain.Block) { b.Header.Reveal = common.Hash{2} }},
		{"wrong validators hash", func(b *chain.Block) { b.Header.ValidatorsHash = common.Hash{3} }},
		{"missing certificate", func(b *chain.Block) { b.Header.LastCommit = nil }},
		{"forged certificate", func(b *chain.Block) {
			c := *b.Header.LastCommit
			c.Sigs = []chain.CommitSig{{Validator: addr(f.validator), Sig: make([]byte, 65)}}
			b.Header.LastCommit = &c
		}},
		{"certificate by a non-validator", func(b *chain.Block) {
			c := *b.Header.LastCommit
			c.Sigs = []chain.CommitSig{{Validator: addr(other), Sig: c.Sigs[0].Sig}}
			b.Header.LastCommit = &c
		}},
		{"wrong state root", func(b *chain.Block) { b.Header.StateRoot = common.Hash{4} }},
		{"wrong tx root", func(b *chain.Block) { b.Header.TxRoot = common.Hash{5} }},
		{"wrong receipt root", func(b *chain.Block) { b.Header.ReceiptRoot = common.Hash{6} }},
		{"tx swapped out", func(b *chain.Block) { b.Txs = b.Txs[:0] }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := f.tx(alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 1})
			f.nonces[addr(alice)]-- // the tx is never committed
			good, _, err := f.ledger.Build(f.template(), []*chain.Tx{tx})
			if err != nil {
				t.Fatal(err)
			}
			bad := &chain.Block{Header: copyHeader(good.Header), Txs: append([]*chain.Tx(nil), good.Txs...)}
			c.mutate(bad)
			if _, err := f.ledger.Execute(bad); !errors.Is(err, ErrBadBlock) {
				t.Fatalf("executed: %v, want ErrBadBlock", err)
			}
			if _, err := f.ledger.Execute(good); err != nil {
				t.Fatalf("the unmutated block must stay valid: %v", err)
			}
		})
	}
}

func copyHeader(h *chain.Header) *chain.Header { c := *h; return &c }

// TestRevealsDriveTheSeed: each block's reveal advances the seed, which
// picks the holder; the seed is in state, so the auditor re-derives it.
func TestRevealsDriveTheSeed(t *testing.T) {
	f := newFixture(t, 1)
	seed := f.ledger.State().Seed()
	for i := 0; i < 3; i++ {
		b, _ := f.block()
		want := chain.NextSeed(seed, b.Header.Reveal)
		if got := f.ledger.State().Seed(); got != want {
			t.Fatalf("seed after block %d is %s, want %s", b.Height(), got, want)
		}
		seed = want
	}
	v, _ := f.ledger.State().Validator(addr(f.validator))
	if v.Reveals != 3 {
		t.Fatalf("%d reveals recorded, want 3", v.Reveals)
	}
}
