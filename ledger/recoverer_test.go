package ledger

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// TestParentCertificateUsesRecoverer: the parent certificate of a block is
// checked through the recoverer the ledger was opened with, so a node that
// passes its signature cache recovers each certificate signature once; a
// certificate the recoverer refuses fails the block.
func TestParentCertificateUsesRecoverer(t *testing.T) {
	g, hc := fixtureGenesis(t, 2)
	calls := 0
	var refuse bool
	counting := func(h common.Hash, sig []byte) (common.Address, error) {
		calls++
		if refuse {
			return common.Address{}, chain.ErrBadSignature
		}
		return chain.RecoverSigner(h, sig)
	}
	l, err := OpenLedger(NewMemStore(), g, WithRecoverer(counting))
	if err != nil {
		t.Fatal(err)
	}
	f := openFixtureOn(t, NewMemStore(), g, hc, 2)
	f.ledger = l
	f.block() // height 1: no parent certificate
	if calls != 0 {
		t.Fatalf("block 1 recovered %d signatures", calls)
	}
	f.block() // height 2 carries block 1's certificate
	if calls == 0 {
		t.Fatal("the parent certificate was not checked through the ledger's recoverer")
	}
	refuse = true
	if _, _, err := f.commitBlock(f.template()); err == nil {
		t.Fatal("a block whose parent certificate the recoverer refuses was built")
	}
}
