package audit

import (
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// TestInvariantsCatchBrokenRules feeds the invariant checks state changes
// that no correct rule makes, on top of a real chain state, and checks that
// each is named: the rules never produce them, so only this test can show
// the checks are live.
func TestInvariantsCatchBrokenRules(t *testing.T) {
	c, err := chaingen.New(ledger.NewMemStore(), chaingen.Genesis(1))
	if err != nil {
		t.Fatal(err)
	}
	alice := chaingen.Customer(0)
	next := c.Ledger.Head().Time + chaingen.BlockInterval
	hold := c.Sign(alice, chain.Hold{Payee: addr(1), Asset: "CNY", Amount: 500, Expiry: next + 3_600_000})
	open := c.Sign(alice, chain.Hold{Payee: addr(1), Asset: "CNY", Amount: 9, Expiry: next + 7_200_000})
	if _, err := c.Next([]*chain.Tx{hold, open}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next([]*chain.Tx{c.Sign(alice, chain.Release{Escrow: hold.Hash()})}); err != nil {
		t.Fatal(err)
	}
	st := c.Ledger.State()
	bobAcct, _ := st.Account(addr(1))
	aliceAcct, _ := st.Account(addr(0))
	released, _ := st.Escrow(hold.Hash())
	stillOpen, _ := st.Escrow(open.Hash())
	if len(bobAcct.Locks) == 0 || released.Status != chain.EscrowReleased {
		t.Fatalf("fixture: bob's locks %v, escrow %s", bobAcct.Locks, released.Status)
	}
	enc := func(v any) []byte {
		raw, err := rlp.EncodeToBytes(v)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	head := c.Ledger.Head()
	later := &chain.Header{Height: head.Height + 1, Time: head.Time + 1000}

	cases := []struct {
		name    string
		header  *chain.Header
		changes func() []ledger.Change
		rule    string
	}{
		{"money from nowhere", later, func() []ledger.Change {
			a := aliceAcct.Copy()
			b := a.Balance("CNY")
			b.Available += 1
			a.SetBalance(b)
			return []ledger.Change{{Key: chain.AccountKey(addr(0)), Value: enc(a)}}
		}, RuleSupply},
		{"locked funds spent early", later, func() []ledger.Change {
			b := bobAcct.Copy()
			bal := b.Balance("CNY")
			bal.Locked -= b.Locks[0].Amount
			bal.Available += b.Locks[0].Amount
			b.SetBalance(bal)
			b.Locks = nil
			return []ledger.Change{{Key: chain.AccountKey(addr(1)), Value: enc(b)}}
		}, RuleLock},
		{"locked not the sum of its locks", later, func() []ledger.Change {
			b := bobAcct.Copy()
			b.Locks[0].Amount--
			return []ledger.Change{{Key: chain.AccountKey(addr(1)), Value: enc(b)}}
		}, RuleBalance},
		{"escrow ended twice", later, func() []ledger.Change {
			e := released.Copy()
			e.Status, e.Released, e.Returned = chain.EscrowRefunded, 0, e.Amount
			return []ledger.Change{{Key: chain.EscrowKey(e.ID), Value: enc(e)}}
		}, RuleEscrowOnce},
		{"escrow voided before its expiry", later, func() []ledger.Change {
			e := stillOpen.Copy()
			e.Status, e.Returned = chain.EscrowExpired, e.Amount
			return []ledger.Change{{Key: chain.EscrowKey(e.ID), Value: enc(e)}}
		}, RuleEscrowExpiry},
		{"escrow released beyond its hold", later, func() []ledger.Change {
			e := stillOpen.Copy()
			e.Status, e.Released = chain.EscrowReleased, e.Amount+1
			return []ledger.Change{{Key: chain.EscrowKey(e.ID), Value: enc(e)}}
		}, RuleEscrowOnce},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := newInvariants(c.Ledger)
			if err != nil {
				t.Fatal(err)
			}
			a := &auditor{checks: checks{}, rep: &Report{}}
			// The chain so far, through the checks: nothing to find.
			if err := inv.block(a, head, nil); err != nil || len(a.rep.Findings) != 0 {
				t.Fatalf("clean state: %v %v", err, a.rep.Findings)
			}
			inv.block(a, tc.header, tc.changes())
			for _, f := range a.rep.Findings {
				if f.Rule == tc.rule && f.Height == tc.header.Height {
					t.Logf("caught: %s", f)
					return
				}
			}
			t.Fatalf("want a %s finding, got %v", tc.rule, a.rep.Findings)
		})
	}

	// An open escrow past its expiry after a block is caught too.
	inv, _ := newInvariants(c.Ledger)
	inv.open[stillOpen.ID] = stillOpen.Expiry
	inv.expiries = expiryHeap{{stillOpen.Expiry, stillOpen.ID}}
	a := &auditor{checks: checks{}, rep: &Report{}}
	inv.block(a, &chain.Header{Height: later.Height, Time: stillOpen.Expiry + 1}, nil)
	if f := a.rep.First(); f == nil || f.Rule != RuleEscrowExpiry {
		t.Fatalf("escrow left open past its expiry: %v", a.rep.Findings)
	}
}
