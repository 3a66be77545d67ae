package ledger

import (
	"crypto/ecdsa"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestHashChainRotation: a validator commits its next chain's tip before the
// current one is spent; the block after the last reveal must carry the first
// reveal of the next chain and nothing else; a spent validator without a
// committed next chain cannot produce a valid block.
func TestHashChainRotation(t *testing.T) {
	const length = 3
	first := chain.NewHashChain(crypto.Keccak256Hash([]byte("first")), length)
	next := chain.NewHashChain(crypto.Keccak256Hash([]byte("next")), 5)
	g := testGenesis(2, first)
	store, err := OpenLevelDB(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, err := OpenLedger(store, g)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, g: g, ledger: l, validator: devnet.Key(testSeed, "validator", 0), chain: first, nonces: map[common.Address]uint64{}, now: l.Head().Time}
	for i := 0; i < length; i++ {
		f.block()
	}
	v, _ := l.State().Validator(addr(f.validator))
	if !v.Spent() {
		t.Fatalf("after %d blocks a chain of %d is not spent: %+v", length, length, v)
	}
	nextFirst, _ := next.Reveal(1)
	if _, _, err := f.commitBlock(f.templateWith(nextFirst)); err == nil {
		t.Fatal("a spent validator produced a block without a committed next chain")
	}

	// a fresh ledger on the same store: commit the next chain early, then spend the first
	f2 := openFixtureWith(t, g, first)
	_, ex := f2.block(f2.tx(f2.validator, chain.CommitHashChain{Tip: next.Tip(), Length: next.Length()}))
	if code := ex.Receipts[0].Code; code != "" {
		t.Fatalf("commit_hash_chain refused: %s", code)
	}
	_, ex = f2.block(
		f2.tx(f2.validator, chain.CommitHashChain{Tip: next.Tip(), Length: next.Length()}),
		f2.tx(f2.customers[0], chain.CommitHashChain{Tip: next.Tip(), Length: 1}))
	if code := ex.Receipts[0].Code; code != "hash_chain_pending" {
		t.Fatalf("second commit: %q, want hash_chain_pending", code)
	}
	if code := ex.Receipts[1].Code; code != "not_validator" {
		t.Fatalf("commit by a customer: %q, want not_validator", code)
	}
	f2.block()
	// spent now (3 blocks); the old chain has nothing more, the new one takes over
	secondOfNext, _ := next.Reveal(2)
	if _, _, err := f2.commitBlock(f2.templateWith(secondOfNext)); err == nil {
		t.Fatal("a reveal other than the next chain's first was accepted")
	}
	if _, _, err := f2.commitBlock(f2.templateWith(nextFirst)); err != nil {
		t.Fatalf("switching to the next chain: %v", err)
	}
	v, _ = f2.ledger.State().Validator(addr(f2.validator))
	if v.Reveals != 1 || v.Length != next.Length() || v.NextTip != (common.Hash{}) || v.LastReveal != nextFirst {
		t.Fatalf("after the switch: %+v", v)
	}
	f2.chain = next
	f2.block() // and it goes on along the new chain
}

// openFixtureWith opens a fresh single-validator fixture chain on genesis g.
func openFixtureWith(t *testing.T, g *chain.Genesis, hc *chain.HashChain) *fixture {
	store, err := OpenLevelDB(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l, err := OpenLedger(store, g)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, g: g, ledger: l, validator: devnet.Key(testSeed, "validator", 0), chain: hc, nonces: map[common.Address]uint64{}, now: l.Head().Time}
	f.customers = []*ecdsa.PrivateKey{devnet.Key(testSeed, "customer", 0)}
	return f
}
