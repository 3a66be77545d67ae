package txpool

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestRemoveDropsLaterNonces: a removed transaction takes its sender's
// later nonces with it, each remembered with the reason; PendingNonce
// follows the executable run.
func TestRemoveDropsLaterNonces(t *testing.T) {
	s := newSigner(t)
	p := New(Config{}, testChain, newState().set(s.addr, "CNY", 100))
	txs := []*chain.Tx{s.transfer(t, 0, 1), s.transfer(t, 1, 1), s.transfer(t, 2, 1)}
	mustAdd(t, p, txs...)
	if n, ok := p.PendingNonce(s.addr); !ok || n != 3 {
		t.Fatalf("pending nonce %d %v, want 3", n, ok)
	}
	p.Remove(txs[1].Hash(), chain.ErrUnknownAccount)
	if p.Has(txs[1].Hash()) || p.Has(txs[2].Hash()) || !p.Has(txs[0].Hash()) {
		t.Fatal("Remove must drop the transaction and its later nonces only")
	}
	if code, ok := p.Rejected(txs[2].Hash()); !ok || code != "unknown_account" {
		t.Fatalf("later nonce rejected as %q %v", code, ok)
	}
	if got := p.Executable(); got != 1 {
		t.Fatalf("executable %d, want 1", got)
	}
	if n, _ := p.PendingNonce(s.addr); n != 1 {
		t.Fatalf("pending nonce %d after remove, want 1", n)
	}
	checkInvariants(t, p)
}

// lockedState adds funds inside their protection period to a fakeState.
type lockedState struct {
	*fakeState
	locked uint64
}

func (s lockedState) Locked(common.Address, string) uint64 { return s.locked }

// TestLockedFundsAnswerProtectionPeriod: an overdraft that funds still in
// their protection period would have covered is refused with the ledger's
// own code; one they would not have covered stays insufficient_funds.
func TestLockedFundsAnswerProtectionPeriod(t *testing.T) {
	s := newSigner(t)
	p := New(Config{}, testChain, lockedState{newState().set(s.addr, "CNY", 10), 50})
	errs := p.Add([]*chain.Tx{s.transfer(t, 0, 40)})
	if chain.CodeOf(errs[0]) != "protection_period" {
		t.Fatalf("covered by locked funds: %v, want protection_period", errs[0])
	}
	errs = p.Add([]*chain.Tx{s.transfer(t, 0, 100)})
	if chain.CodeOf(errs[0]) != "insufficient_funds" {
		t.Fatalf("beyond locked funds too: %v, want insufficient_funds", errs[0])
	}
}
