package txpool

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

func TestUpdate(t *testing.T) {
	a, b, c, d := newSigner(t), newSigner(t), newSigner(t), newSigner(t)
	st := newState()
	for _, s := range []signer{a, b, c, d} {
		st.set(s.addr, "CNY", 100)
	}
	p := New(Config{Workers: 2}, testChain, st)
	a0, a1, a2 := a.transfer(t, 0, 10), a.transfer(t, 1, 10), a.transfer(t, 2, 10)
	b0, b1, b2 := b.transfer(t, 0, 40), b.transfer(t, 1, 40), b.transfer(t, 2, 10)
	c0, c1 := c.transfer(t, 0, 1), c.transfer(t, 1, 1)
	d1 := d.transfer(t, 1, 1)
	mustAdd(t, p, a0, a1, a2, b0, b1, b2, c0, c1, d1)
	n := names{a0: "a0", a1: "a1", a2: "a2", b0: "b0", b1: "b1", b2: "b2", c0: "c0", c1: "c1", d1: "d1"}
	if got := n.of(p.Pending(100, 1<<20)); got != "a0 a1 a2 b0 b1 b2 c0 c1" {
		t.Fatalf("before: Pending = %s", got)
	}

	// The block includes a0 and a1. Meanwhile Bob's balance fell to 50
	// (elsewhere), another node's tx spent Carol's nonce 0, and one spent
	// Dave's nonce 0, filling his gap.
	next := st.clone()
	next.apply(t, []*chain.Tx{a0, a1})
	next.set(b.addr, "CNY", 50)
	next.nonces[c.addr] = 1
	next.nonces[d.addr] = 1
	p.Update(next, []*chain.Tx{a0, a1})

	if got := n.of(p.Pending(100, 1<<20)); got != "a2 b0 c1 d1" {
		t.Fatalf("after: Pending = %s, want a2 b0 c1 d1", got)
	}
	for _, tc := range []struct {
		tx   *chain.Tx
		in   bool
		code string
	}{
		{a0, false, ""}, {a1, false, ""}, {a2, true, ""},
		{b0, true, ""},
		{b1, false, chain.ErrInsufficientFunds.Code}, // 40+40 > 50: the first overdraft
		{b2, false, chain.ErrInsufficientFunds.Code}, // 40+10 fits, but follows the overdraft
		{c0, false, chain.ErrBadNonce.Code},          // stale
		{c1, true, ""}, {d1, true, ""},
	} {
		code, _ := p.Rejected(tc.tx.Hash())
		if p.Has(tc.tx.Hash()) != tc.in || code != tc.code {
			t.Errorf("%s: in pool %v code %q, want %v %q", n[tc.tx], p.Has(tc.tx.Hash()), code, tc.in, tc.code)
		}
	}
	if p.Len() != 4 || p.Executable() != 4 {
		t.Errorf("Len %d Executable %d, want 4 4", p.Len(), p.Executable())
	}
	checkInvariants(t, p)
}

// A transaction this pool had refused but another node included is no
// longer reported as rejected.
func TestUpdateForgetsIncludedRejections(t *testing.T) {
	a := newSigner(t)
	st := newState().set(a.addr, "CNY", 10)
	p := New(Config{Workers: 2, NonceWindow: 1}, testChain, st)
	a0, a5 := a.transfer(t, 0, 1), a.transfer(t, 5, 1)
	if err := p.Add([]*chain.Tx{a5})[0]; !isReject(err, chain.ErrNonceTooHigh) {
		t.Fatal(err)
	}
	next := st.clone()
	next.nonces[a.addr] = 6
	p.Update(next, []*chain.Tx{a0, a5})
	if code, ok := p.Rejected(a5.Hash()); ok {
		t.Fatalf("included tx still rejected: %q", code)
	}
}

func TestWait(t *testing.T) {
	a := newSigner(t)
	st := newState().set(a.addr, "CNY", 10)
	p := New(Config{Workers: 2}, testChain, st)
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	w := p.Wait()
	if closed(w) {
		t.Fatal("empty pool: Wait already closed")
	}
	a1 := a.transfer(t, 1, 1)
	mustAdd(t, p, a1)
	if closed(w) {
		t.Fatal("only a waiting tx: Wait closed")
	}
	if p.Wait() != w {
		t.Fatal("Wait handed out a second channel while none fired")
	}

	// Another node includes nonce 0: a1 becomes executable on Update.
	next := st.clone()
	next.nonces[a.addr] = 1
	p.Update(next, nil)
	if !closed(w) || !closed(p.Wait()) {
		t.Fatal("executable tx after Update: Wait not closed")
	}

	next = next.clone()
	next.apply(t, []*chain.Tx{a1})
	p.Update(next, []*chain.Tx{a1})
	w = p.Wait()
	if closed(w) {
		t.Fatal("drained pool: Wait closed")
	}
	mustAdd(t, p, a.transfer(t, 2, 1))
	if !closed(w) {
		t.Fatal("executable tx after Add: Wait not closed")
	}
}

// A block from another node can commit a transaction while this pool is
// still verifying its copy: the copy is answered already-known, and its
// status is not turned into a rejection.
func TestIncludedWhileVerifying(t *testing.T) {
	a := newSigner(t)
	st := newState().set(a.addr, "CNY", 10)
	p := New(Config{Workers: 2}, testChain, st)
	a0 := a.transfer(t, 0, 1)
	inner := p.recover
	p.recover = func(tx *chain.Tx) ([]common.Address, error) {
		next := st.clone()
		next.apply(t, []*chain.Tx{a0})
		p.Update(next, []*chain.Tx{a0})
		return inner(tx)
	}
	err := p.Add([]*chain.Tx{redecode(t, a0)})[0]
	if !isReject(err, chain.ErrAlreadyKnown) {
		t.Fatalf("Add: %v, want already_known", err)
	}
	if code, ok := p.Rejected(a0.Hash()); ok {
		t.Fatalf("included tx reported rejected: %q", code)
	}
}

// A StateView that lags the block still loses the block's transactions:
// they are spent whatever the view says.
func TestUpdateIncludedAboveStateNonce(t *testing.T) {
	a := newSigner(t)
	st := newState().set(a.addr, "CNY", 10)
	p := New(Config{Workers: 2}, testChain, st)
	a0, a1, a2 := a.transfer(t, 0, 1), a.transfer(t, 1, 1), a.transfer(t, 2, 1)
	mustAdd(t, p, a0, a1, a2)
	p.Update(st, []*chain.Tx{a1})
	if p.Has(a1.Hash()) || !p.Has(a0.Hash()) || !p.Has(a2.Hash()) {
		t.Fatalf("has a0 %v a1 %v a2 %v", p.Has(a0.Hash()), p.Has(a1.Hash()), p.Has(a2.Hash()))
	}
	if p.Executable() != 1 {
		t.Fatalf("Executable %d, want 1 (a0; a2 waits behind the hole)", p.Executable())
	}
	checkInvariants(t, p)
}
