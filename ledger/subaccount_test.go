package ledger

import (
	"crypto/ecdsa"
	"maps"
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"pgregory.net/rapid"
)

const day = uint64(24 * 3600 * 1000)

// TestSubAccount walks a purchase sub-account through its life: created
// by its main account, topped up, spending within its daily limit at an
// allowed merchant, running out of allowance, resetting at the period's
// end, frozen, its terms changed, and closed with the rest returned.
func TestSubAccount(t *testing.T) {
	w := newPolicyWorld(t, 4)
	parent, shop, other, stranger := w.f.customers[0], w.f.customers[1], w.f.customers[2], w.f.customers[3]
	card := devnet.Key(testSeed, "card", 0)
	terms := chain.SubTerms{Limits: []chain.SubLimit{{Asset: "CNY", Amount: 1000, Period: day}}, Merchants: sortedGuardians(shop)}
	buy := func(k *ecdsa.PrivateKey, amount uint64) chain.Body {
		return chain.Transfer{To: addr(k), Asset: "CNY", Amount: amount}
	}
	step := func(name string, from *ecdsa.PrivateKey, body chain.Body, want string) {
		t.Helper()
		rec, _, kv := w.try(from, body)
		if rec.Code != want {
			t.Fatalf("%s: code %q, want %q", name, rec.Code, want)
		}
		w.kv = kv
	}
	create := chain.CreateSubAccount{Main: addr(parent), Sub: addr(card), Terms: terms}
	step("created by a stranger", stranger, create, "not_authorized")
	step("created with malformed terms", parent, chain.CreateSubAccount{Main: addr(parent), Sub: addr(card), Terms: chain.SubTerms{Limits: []chain.SubLimit{{Asset: "CNY", Amount: 1}}}}, "malformed")
	step("created over an existing account", parent, chain.CreateSubAccount{Main: addr(parent), Sub: addr(shop), Terms: terms}, "account_exists")
	step("created by the main account", parent, create, "")
	if acct, ok := w.state().Account(addr(card)); !ok || acct.Bank != addr(w.f.banks[0]) {
		t.Fatalf("the sub-account is not registered with its main account's bank: %+v", acct)
	}
	step("topped up", parent, buy(card, 5000), "")
	step("a purchase", card, buy(shop, 600), "")
	step("beyond the day's allowance", card, buy(shop, 401), "sub_account_limit")
	step("the rest of the allowance", card, buy(shop, 400), "")
	step("a merchant not on the list", card, buy(other, 1), "merchant_not_allowed")
	step("a withdraw with a merchant list", card, chain.Withdraw{Asset: "CNY", Amount: 1, Details: sealedDetails}, "merchant_not_allowed")
	sa, _ := w.state().SubAccount(addr(card))
	if left, resetAt, _ := sa.Remaining("CNY", w.time); left != 0 || resetAt != sa.Created+day {
		t.Fatalf("remaining %d until %d, want 0 until %d", left, resetAt, sa.Created+day)
	}
	w.time = sa.Created + day // the next period
	step("after the reset", card, buy(shop, 1000), "")
	step("frozen by a stranger", stranger, chain.FreezeSubAccount{Sub: addr(card), Frozen: true}, "not_authorized")
	step("frozen by the main account's bank", w.f.banks[0], chain.FreezeSubAccount{Sub: addr(card), Frozen: true}, "")
	step("a purchase while frozen", card, buy(shop, 1), "sub_account_frozen")
	step("thawed", parent, chain.FreezeSubAccount{Sub: addr(card), Frozen: false}, "")
	step("spent out", card, buy(shop, 1), "sub_account_limit")
	step("the limit raised", parent, chain.SetSubAccount{Sub: addr(card), Terms: chain.SubTerms{Limits: []chain.SubLimit{{Asset: "CNY", Amount: 1500, Period: day}}}}, "")
	step("any merchant now", card, buy(other, 500), "")
	step("an asset without a limit", card, chain.Transfer{To: addr(shop), Asset: "USD", Amount: 1}, "sub_account_limit")
	step("a sub-account of a sub-account", card, chain.CreateSubAccount{Main: addr(card), Sub: addr(devnet.Key(testSeed, "card", 1)), Terms: terms}, "not_authorized")
	step("managing what is no sub-account", parent, chain.FreezeSubAccount{Sub: addr(shop)}, "not_sub_account")
	before, _ := w.state().Account(addr(parent))
	left, _ := w.state().Account(addr(card))
	rec, _, kv := w.try(parent, chain.CloseSubAccount{Sub: addr(card)})
	if rec.Code != "" || len(rec.Events) != 2 || rec.Events[0].Kind != chain.EventTransfer || rec.Events[0].Amount != left.Balance("CNY").Available {
		t.Fatalf("closed: code %q, events %+v; want the returned funds as a transfer, then sub_account_closed", rec.Code, rec.Events)
	}
	w.kv = kv
	after, _ := w.state().Account(addr(parent))
	if got, want := after.Balance("CNY").Available, before.Balance("CNY").Available+left.Balance("CNY").Available; got != want {
		t.Fatalf("after closing the main account has %d, want %d", got, want)
	}
	if a, _ := w.state().Account(addr(card)); a.Balance("CNY").Available != 0 {
		t.Fatal("the closed sub-account kept funds")
	}
	step("a purchase after closing", card, buy(shop, 1), "sub_account_closed")
	step("closed twice", parent, chain.CloseSubAccount{Sub: addr(card)}, "sub_account_closed")
}

// TestSubAccountProperty: whatever the sequence of top-ups, purchases of
// every debit type, term changes, freezes and passing time, a sub-account
// never spends beyond its period limit (by an oracle that sums its own
// debits per period) or pays a merchant not on its list, and money is
// conserved.
func TestSubAccountProperty(t *testing.T) {
	f := newMemFixture(t, 4)
	parent, shop, other := f.customers[0], f.customers[1], f.customers[2]
	card := devnet.Key(testSeed, "card", 0)
	payees := []*ecdsa.PrivateKey{shop, other, parent}
	genesis := f.genesisKV()
	rapid.Check(t, func(rt *rapid.T) {
		kv := maps.Clone(genesis)
		now := f.now + 1000
		apply := func(from *ecdsa.PrivateKey, body chain.Body) *chain.Receipt {
			return applySigned(rt, f, kv, now, from, body)
		}
		drawTerms := func() chain.SubTerms {
			var t chain.SubTerms
			if rapid.IntRange(0, 3).Draw(rt, "limited") > 0 {
				t.Limits = []chain.SubLimit{{Asset: "CNY", Amount: rapid.Uint64Range(0, 3000).Draw(rt, "limit"), Period: rapid.Uint64Range(1, 3).Draw(rt, "days") * day}}
			}
			if rapid.Bool().Draw(rt, "merchant list") {
				t.Merchants = sortedGuardians(shop)
			}
			return t
		}
		if rec := apply(parent, chain.CreateSubAccount{Main: addr(parent), Sub: addr(card), Terms: drawTerms()}); !rec.OK() {
			rt.Fatalf("create: %s", rec.Code)
		}
		apply(parent, chain.Transfer{To: addr(card), Asset: "CNY", Amount: 20_000})
		spent := map[uint64]uint64{} // the oracle: per period number of the terms in force
		for i, steps := 0, rapid.IntRange(5, 50).Draw(rt, "steps"); i < steps; i++ {
			sa, _ := NewState(kv).SubAccount(addr(card))
			payee := payees[rapid.IntRange(0, len(payees)-1).Draw(rt, "payee")]
			amount := rapid.Uint64Range(1, 1500).Draw(rt, "amount")
			var from, body = card, chain.Body(nil)
			switch rapid.IntRange(0, 7).Draw(rt, "kind") {
			case 0, 1, 2:
				body = chain.Transfer{To: addr(payee), Asset: "CNY", Amount: amount}
			case 3:
				body = chain.Hold{Payee: addr(payee), Asset: "CNY", Amount: amount, Expiry: now + day}
			case 4:
				body = chain.Withdraw{Asset: "CNY", Amount: amount, Details: sealedDetails}
			case 5:
				from, body = parent, chain.SetSubAccount{Sub: addr(card), Terms: drawTerms()}
				spent = map[uint64]uint64{} // the terms (and period lengths) change; their running spending carries over (checked below)
			case 6:
				from, body = parent, chain.FreezeSubAccount{Sub: addr(card), Frozen: rapid.Bool().Draw(rt, "frozen")}
			default:
				now += rapid.Uint64Range(1, 2*day).Draw(rt, "time passes")
				continue
			}
			before, _ := NewState(kv).Account(addr(card))
			rec := apply(from, body)
			after, _ := NewState(kv).Account(addr(card))
			if from != card {
				continue
			}
			out := before.Balance("CNY").Available - after.Balance("CNY").Available
			if !rec.OK() {
				if out != 0 {
					rt.Fatalf("a rejected %s (%s) moved %d", body.TxType(), rec.Code, out)
				}
				continue
			}
			d, _ := debitOf(NewState(kv), body)
			if sa.Frozen || sa.Closed {
				rt.Fatalf("a frozen sub-account paid")
			}
			if !sa.Terms.Allows(d.payee) || len(sa.Terms.Merchants) > 0 && d.payee != addr(shop) {
				rt.Fatalf("paid %s, not on the merchant list", d.payee)
			}
			l, ok := sa.Terms.Limit("CNY")
			if !ok {
				rt.Fatalf("spent an asset without a limit")
			}
			n := (now - sa.Created) / l.Period
			spent[n] += out
			if carried := sa.SpentIn("CNY", n); spent[n] > l.Amount || carried+out > l.Amount {
				rt.Fatalf("period %d: spent %d (%d recorded before), limit %d", n, spent[n], carried, l.Amount)
			}
			checkSupply(rt, kv)
		}
		checkSupply(rt, kv)
	})
}

// applySigned applies one transaction signed by from to kv at block time
// now, as the property tests of sub-accounts do.
func applySigned(rt *rapid.T, f *fixture, kv MemKV, now uint64, from *ecdsa.PrivateKey, body chain.Body) *chain.Receipt {
	st := NewState(kv)
	st.SetBlock(BlockContext{Height: 1, Time: now, Params: f.g.Params})
	acct, _ := st.Account(addr(from))
	tx := chain.NewTx(f.g.ChainID, acct.Nonce, body)
	_ = tx.Sign(from)
	rec, err := ApplyTx(st, f.g.ChainID, tx)
	if err != nil {
		rt.Fatalf("%s: %v", tx.Type(), err)
	}
	cs, _ := st.Changes()
	kv.Apply(cs)
	return rec
}
