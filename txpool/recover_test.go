package txpool

import (
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestRecoverOnce checks that the pool recovers each distinct transaction's
// signatures exactly once, however often and however concurrently it
// arrives, and hands out the pointer whose signers are then cached.
func TestRecoverOnce(t *testing.T) {
	senders := newSigners(t, 8)
	st := newState()
	var txs []*chain.Tx
	for _, s := range senders {
		st.set(s.addr, "CNY", 1000)
		for n := range uint64(4) {
			txs = append(txs, s.transfer(t, n, 1))
		}
	}
	bad := reforge(t, senders[0].transfer(t, 9, 1), func(e *envelope) { e.Sigs[0][64] = 9 })

	p := New(Config{Workers: 4}, testChain, st)
	calls := countRecoveries(p)

	// Each of 6 goroutines submits every transaction as its own decoded
	// copy (as gossip from several peers would), plus the bad one, twice
	// over; one of them also repeats its own pointers within the batch.
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for range 2 {
				batch := []*chain.Tx{redecode(t, bad)}
				for _, tx := range txs {
					batch = append(batch, redecode(t, tx))
				}
				if g == 0 {
					batch = append(batch, batch...)
				}
				for i, err := range p.Add(batch) {
					if err != nil && !isReject(err, chain.ErrAlreadyKnown) && batch[i].Hash() != bad.Hash() {
						t.Errorf("add: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()

	if p.Len() != len(txs) {
		t.Fatalf("pool holds %d txs, want %d", p.Len(), len(txs))
	}
	for _, tx := range append(txs, bad) {
		if n := calls.get(tx.Hash()); n != 1 {
			t.Errorf("tx nonce %d: signatures recovered %d times, want 1", tx.Nonce(), n)
		}
	}
	if code, _ := p.Rejected(bad.Hash()); code != chain.ErrBadSignature.Code {
		t.Errorf("bad tx status %q", code)
	}

	// The pending pointers carry their signers: reading them allocates
	// nothing, where a recovery would.
	pending := p.Pending(len(txs), 1<<30)
	if len(pending) != len(txs) {
		t.Fatalf("Pending returned %d txs, want %d", len(pending), len(txs))
	}
	for _, tx := range pending {
		if p.Get(tx.Hash()) != tx {
			t.Fatal("Pending and Get disagree on the pointer")
		}
		if allocs := testing.AllocsPerRun(5, func() { _, _ = tx.Signers() }); allocs != 0 {
			t.Fatalf("Signers on a pooled tx allocates %v times: not cached", allocs)
		}
	}

	// Block apply and Update read the cached sender: no more recoveries.
	next := st.clone()
	next.apply(t, pending)
	p.Update(next, pending)
	for _, tx := range txs {
		if n := calls.get(tx.Hash()); n != 1 {
			t.Errorf("after Update: recovered %d times", n)
		}
	}
}

// A fresh transaction does allocate on its first Signers call: the probe in
// TestRecoverOnce can tell a cached signer from a recovery.
func TestAllocProbeSeesRecovery(t *testing.T) {
	tx := newSigner(t).transfer(t, 0, 1)
	fresh := make([]*chain.Tx, 6)
	for i := range fresh {
		fresh[i] = redecode(t, tx)
	}
	i := 0
	if allocs := testing.AllocsPerRun(5, func() { _, _ = fresh[i].Signers(); i++ }); allocs == 0 {
		t.Fatal("recovering a signature allocated nothing; the probe proves nothing")
	}
}

// Transactions whose fate is settled (included, or stale) are answered from
// the outcome cache when they come again, without recovering them.
func TestNoRecoveryForSettledTxs(t *testing.T) {
	a := newSigner(t)
	st := newState().set(a.addr, "CNY", 10)
	p := New(Config{Workers: 2}, testChain, st)
	calls := countRecoveries(p)
	a0, a1 := a.transfer(t, 0, 1), a.transfer(t, 1, 2)
	mustAdd(t, p, a0, a1)

	// a0 is included; another tx with nonce 1 beats a1.
	other := a.transfer(t, 1, 3)
	next := st.clone()
	next.apply(t, []*chain.Tx{a0, other})
	p.Update(next, []*chain.Tx{a0, other})

	for _, tc := range []struct {
		tx   *chain.Tx
		want *chain.RejectError
	}{
		{a0, chain.ErrAlreadyKnown}, {other, chain.ErrAlreadyKnown}, {a1, chain.ErrBadNonce},
	} {
		if err := p.Add([]*chain.Tx{redecode(t, tc.tx)})[0]; !isReject(err, tc.want) {
			t.Errorf("resubmit nonce %d: %v, want %s", tc.tx.Nonce(), err, tc.want.Code)
		}
		if n := calls.get(tc.tx.Hash()); n > 1 {
			t.Errorf("resubmit nonce %d: recovered %d times", tc.tx.Nonce(), n)
		}
	}
	if code, ok := p.Rejected(a0.Hash()); ok {
		t.Errorf("included tx reported rejected: %q", code)
	}
}

func TestHashSetRemembersLastN(t *testing.T) {
	s := newHashSet(4)
	var hs []common.Hash
	for i := range 11 {
		h := common.Hash{byte(i + 1)}
		hs = append(hs, h)
		s.add(h)
	}
	for i, h := range hs {
		if recent := i >= len(hs)-4; recent && !s.has(h) {
			t.Errorf("forgot hash %d of the last 4", i)
		}
	}
	if s.has(hs[0]) || len(s.cur)+len(s.prev) > 8 {
		t.Errorf("holds more than 2n: %d", len(s.cur)+len(s.prev))
	}
}
