package ledger

import (
	"crypto/ecdsa"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestMassExpiryCapped opens 45 holds that all expire at once on a chain
// whose cap is 10 expiries a block: the next blocks void 10, 10, 10, 10, 5,
// earliest first (expiry, then id), the block that carries some over
// refuses a release of one still waiting, and the chain ends with every
// hold voided, every payer's funds back, and the expiry index consistent.
func TestMassExpiryCapped(t *testing.T) {
	const holds, cap = 45, 10
	f := newFixture(t, 4, func(g *chain.Genesis) { g.Params.MaxExpiriesPerBlock = cap })
	var txs []*chain.Tx
	for i := 0; i < holds; i++ {
		from, to := f.customers[i%4], f.customers[(i+1)%4]
		// Two expiry times, so order by expiry before id is exercised.
		expiry := f.now + 1500 + uint64(i%2)
		txs = append(txs, f.tx(from, chain.Hold{Payee: addr(to), Asset: "CNY", Amount: uint64(100 + i), Expiry: expiry}))
	}
	before := map[common.Address]chain.Balance{}
	for _, k := range f.customers {
		before[addr(k)] = f.account(addr(k)).Balance("CNY")
	}
	f.block(txs...)
	// The order the chain must void them in.
	var order []common.Hash
	for _, tx := range txs {
		order = append(order, tx.Hash())
	}
	sortByExpiryKey(f, order)

	var voided []common.Hash
	var late *chain.Tx // a release of a hold that is past expiry but carried over
	for len(voided) < holds {
		var blockTxs []*chain.Tx
		if len(voided) == cap && late == nil {
			last := order[holds-1]
			e, _, _ := f.ledger.Escrow(last)
			late = f.tx(keyOf(f, e.Payer), chain.Release{Escrow: last})
			blockTxs = append(blockTxs, late)
		}
		b, ex := f.block(blockTxs...)
		var n int
		for _, r := range ex.Receipts {
			for _, ev := range r.Events {
				if ev.Kind == chain.EventEscrowExpired {
					voided = append(voided, ev.Record)
					n++
				}
			}
		}
		if remaining := holds - (len(voided) - n); len(voided) > 0 && n != min(cap, remaining) {
			t.Fatalf("block %d voided %d escrows with %d overdue, cap %d", b.Height(), n, remaining, cap)
		}
		if late != nil && len(blockTxs) > 0 {
			if code := ex.Receipts[0].Code; code != chain.CodeOf(chain.ErrEscrowNotOpen) {
				t.Fatalf("release of an overdue, carried-over escrow: code %q, want escrow_not_open", code)
			}
		}
		if b.Height() > 20 {
			t.Fatal("expiries never finished")
		}
	}
	if late == nil {
		t.Fatal("the test never released a carried-over escrow")
	}
	for i := range order {
		if voided[i] != order[i] {
			t.Fatalf("voided #%d is %s, want %s (expiry, then id)", i, voided[i], order[i])
		}
	}
	for _, k := range f.customers {
		got, want := f.account(addr(k)).Balance("CNY"), before[addr(k)]
		if got.Available != want.Available || got.Held != 0 {
			t.Fatalf("%s: balance %+v, want available %d and nothing held", addr(k), got, want.Available)
		}
	}
	if err := f.ledger.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// sortByExpiryKey sorts escrow ids in the expiry index's order.
func sortByExpiryKey(f *fixture, ids []common.Hash) {
	key := func(id common.Hash) string {
		e, _, _ := f.ledger.Escrow(id)
		return string(expiryIndexKey(e.Expiry, id))
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && key(ids[j]) < key(ids[j-1]); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// keyOf is the fixture customer's key with address a.
func keyOf(f *fixture, a common.Address) *ecdsa.PrivateKey {
	for _, k := range f.customers {
		if addr(k) == a {
			return k
		}
	}
	f.t.Fatalf("no customer %s", a)
	return nil
}

// TestExpiryCapSharedWithRequests: escrows and payment requests due at
// once share one cap per block, escrows first; what is left over expires
// in the next blocks.
func TestExpiryCapSharedWithRequests(t *testing.T) {
	const holds, requests, cap = 6, 8, 10
	f := newFixture(t, 4, func(g *chain.Genesis) { g.Params.MaxExpiriesPerBlock = cap })
	var txs []*chain.Tx
	for i := range holds {
		txs = append(txs, f.tx(f.customers[i%4], chain.Hold{Payee: addr(f.customers[(i+1)%4]), Asset: "CNY", Amount: 100, Expiry: f.now + 1500}))
	}
	for i := range requests {
		txs = append(txs, f.tx(f.customers[i%4], chain.PaymentRequest{Payer: addr(f.customers[(i+2)%4]), Asset: "CNY", Amount: 100,
			Expiry: f.now + 1500, Ref: fmt.Sprintf("order-%d", i), Mode: chain.SettleDirect}))
	}
	_, ex := f.block(txs...)
	for i, r := range ex.Receipts {
		if !r.OK() {
			t.Fatalf("tx %d: %s", i, r.Code)
		}
	}
	count := func(ex *Execution) (escrows, reqs int) {
		for _, r := range ex.Receipts {
			for _, ev := range r.Events {
				switch ev.Kind {
				case chain.EventEscrowExpired:
					escrows++
				case chain.EventRequestExpired:
					reqs++
				}
			}
		}
		return
	}
	if e, r := count(func() *Execution { _, ex := f.block(); return ex }()); e != holds || r != cap-holds {
		t.Fatalf("first block past expiry: %d escrows and %d requests expired, want %d and %d", e, r, holds, cap-holds)
	}
	if e, r := count(func() *Execution { _, ex := f.block(); return ex }()); e != 0 || r != requests-(cap-holds) {
		t.Fatalf("next block: %d escrows and %d requests expired, want 0 and %d", e, r, requests-(cap-holds))
	}
}
