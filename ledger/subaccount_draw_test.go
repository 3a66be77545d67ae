package ledger

import (
	"crypto/ecdsa"
	"maps"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"pgregory.net/rapid"
)

// TestSubAccountDraw is the draw funding rule: purchases the sub-account's
// own balance does not cover draw the rest from the main account, within
// the limit, and nothing moves when the purchase fails.
func TestSubAccountDraw(t *testing.T) {
	w := newPolicyWorld(t, 3)
	parent, shop := w.f.customers[0], w.f.customers[1]
	card, card2 := devnet.Key(testSeed, "card", 0), devnet.Key(testSeed, "card", 1)
	nobody := devnet.Address(testSeed, "unregistered", 0)
	cny := func(a common.Address) uint64 {
		acct, _ := w.state().Account(a)
		return acct.Balance("CNY").Available
	}
	buy := func(from *ecdsa.PrivateKey, to common.Address, amount uint64) chain.Body {
		return chain.Transfer{To: to, Asset: "CNY", Amount: amount}
	}
	limit := func(amount uint64) []chain.SubLimit {
		return []chain.SubLimit{{Asset: "CNY", Amount: amount, Period: day}}
	}
	w.do(parent, chain.CreateSubAccount{Main: addr(parent), Sub: addr(card), Terms: chain.SubTerms{Limits: limit(1000), Merchants: sortedGuardians(shop), Draw: true}})
	w.do(parent, chain.CreateSubAccount{Main: addr(parent), Sub: addr(card2), Terms: chain.SubTerms{Limits: limit(10_000_000), Draw: true}})
	// a rejection leaves both accounts as they were
	same := func(name string, from *ecdsa.PrivateKey, body chain.Body, want string) {
		t.Helper()
		p, s := cny(addr(parent)), cny(addr(from))
		rec, _, kv := w.try(from, body)
		if rec.Code != want || len(rec.Events) != 0 {
			t.Fatalf("%s: code %q events %d, want %q and none", name, rec.Code, len(rec.Events), want)
		}
		w.kv = kv
		if cny(addr(parent)) != p || cny(addr(from)) != s {
			t.Fatalf("%s: a rejected purchase moved funds: main %d→%d, sub %d→%d", name, p, cny(addr(parent)), s, cny(addr(from)))
		}
	}

	p0, shop0 := cny(addr(parent)), cny(addr(shop))
	rec, _, kv := w.try(card, buy(card, addr(shop), 600))
	if rec.Code != "" || len(rec.Events) == 0 || rec.Events[0].Kind != chain.EventTransfer || rec.Events[0].Amount != 600 ||
		rec.Events[0].Accounts[0] != addr(parent) {
		t.Fatalf("a purchase on an empty sub-account: code %q events %+v, want a draw of 600 from the main account", rec.Code, rec.Events)
	}
	w.kv = kv
	if cny(addr(parent)) != p0-600 || cny(addr(shop)) != shop0+600 || cny(addr(card)) != 0 {
		t.Fatalf("after a drawn purchase: main %d shop %d card %d", cny(addr(parent)), cny(addr(shop)), cny(addr(card)))
	}
	w.do(parent, buy(parent, addr(card), 100)) // a top-up is spent first
	w.do(card, buy(card, addr(shop), 300))
	if cny(addr(parent)) != p0-600-100-200 || cny(addr(card)) != 0 {
		t.Fatalf("a part-covered purchase drew %d, want 200", p0-700-cny(addr(parent)))
	}
	same("beyond the limit", card, buy(card, addr(shop), 101), "sub_account_limit")
	same("the rule fails after the draw", card2, buy(card2, nobody, 500), "unknown_account")
	same("the main account has not got it", card2, buy(card2, addr(shop), p0+1), "insufficient_funds")
	w.do(card2, chain.Hold{Payee: addr(shop), Asset: "CNY", Amount: 700, Expiry: w.time + day})
	if got := cny(addr(parent)); got != p0-1600 {
		t.Fatalf("a hold drew: main has %d, want %d", got, p0-1600)
	}
	if got := w.state().Spendable(addr(card), "CNY"); got != 100 {
		t.Fatalf("Spendable of a drawing sub-account with 100 of its limit left: %d", got)
	}
}

// TestSubAccountDrawAuthorization: draw terms set by the main account are
// judged by its policy as a debit of each limit, with the transaction's
// co-signers; they cannot wait for the supervisor, so a large limit
// without the supervisor's co-signature is supervisor_approval_required.
func TestSubAccountDrawAuthorization(t *testing.T) {
	w := newPolicyWorld(t, 6)
	c := w.f.customers
	parent, g, super, stranger := c[0], c[2], c[3], c[4]
	bank := w.f.banks[0]
	wk := devnet.Key(testSeed, "wk", 0)
	w.do(parent, chain.SetWithdrawalKey{Key: addr(wk)})
	w.do(bank, chain.SetPolicy{Account: addr(parent), Policy: chain.Policy{
		Tiers: []chain.Tier{{Asset: "CNY", Small: 100, Normal: 1000}}, Guardians: sortedGuardians(g), Threshold: 1, Supervisor: addr(super)}})
	n := 0
	terms := func(amount uint64, draw bool) chain.SubTerms {
		return chain.SubTerms{Limits: []chain.SubLimit{{Asset: "CNY", Amount: amount, Period: day}}, Draw: draw}
	}
	create := func(amount uint64, draw bool) chain.Body {
		n++
		return chain.CreateSubAccount{Main: addr(parent), Sub: devnet.Address(testSeed, "card", n), Terms: terms(amount, draw)}
	}
	ks := func(k ...*ecdsa.PrivateKey) []*ecdsa.PrivateKey { return k }
	w.do(parent, create(50, true))
	existing := devnet.Address(testSeed, "card", n)
	for _, row := range []struct {
		name string
		from *ecdsa.PrivateKey
		body chain.Body
		cos  []*ecdsa.PrivateKey
		code string
	}{
		{"small limit: the main account alone", parent, create(100, true), nil, ""},
		{"normal limit without the verification key", parent, create(500, true), nil, "verification_key_required"},
		{"normal limit with it", parent, create(500, true), ks(wk), ""},
		{"large limit, key only", parent, create(5000, true), ks(wk), "guardian_signature_required"},
		{"large limit, key and guardian: the supervisor cannot be waited for", parent, create(5000, true), ks(wk, g), "supervisor_approval_required"},
		{"large limit, key, guardian and supervisor", parent, create(5000, true), ks(wk, g, super), ""},
		{"large limit by the bank", bank, create(5000, true), nil, ""},
		{"top-up terms need no co-signer", parent, create(5000, false), nil, ""},
		{"co-signers on top-up terms", parent, create(5000, false), ks(wk), "not_authorized"},
		{"a stranger co-signs a draw", parent, create(50, true), ks(stranger), "not_authorized"},
		{"raising a draw limit to large", parent, chain.SetSubAccount{Sub: existing, Terms: terms(5000, true)}, ks(wk, g), "supervisor_approval_required"},
		{"raising it with every co-signer", parent, chain.SetSubAccount{Sub: existing, Terms: terms(5000, true)}, ks(wk, g, super), ""},
	} {
		rec, _, _ := w.try(row.from, row.body, row.cos...)
		if rec.Code != row.code {
			t.Errorf("%s: code %q, want %q", row.name, rec.Code, row.code)
		}
	}
}

// TestSubAccountDrawProperty: whatever the purchases, top-ups, the main
// account's own spending, term changes and passing time, a drawing
// sub-account's purchases take from the main account only what the
// sub-account lacked, never more per period than the limit in all, a
// rejected purchase moves nothing anywhere, and money is conserved.
func TestSubAccountDrawProperty(t *testing.T) {
	f := newMemFixture(t, 3)
	parent, shop, other := f.customers[0], f.customers[1], f.customers[2]
	card := devnet.Key(testSeed, "card", 0)
	genesis := f.genesisKV()
	rapid.Check(t, func(rt *rapid.T) {
		kv := maps.Clone(genesis)
		now := f.now + 1000
		apply := func(from *ecdsa.PrivateKey, body chain.Body) *chain.Receipt {
			return applySigned(rt, f, kv, now, from, body)
		}
		cny := func(k *ecdsa.PrivateKey) uint64 {
			a, _ := NewState(kv).Account(addr(k))
			return a.Balance("CNY").Available
		}
		drawTerms := func() chain.SubTerms {
			return chain.SubTerms{Limits: []chain.SubLimit{{Asset: "CNY", Amount: rapid.Uint64Range(0, 3000).Draw(rt, "limit"),
				Period: rapid.Uint64Range(1, 3).Draw(rt, "days") * day}}, Draw: rapid.IntRange(0, 3).Draw(rt, "draw") > 0}
		}
		if rec := apply(parent, chain.CreateSubAccount{Main: addr(parent), Sub: addr(card), Terms: drawTerms()}); !rec.OK() {
			rt.Fatalf("create: %s", rec.Code)
		}
		spent := map[uint64]uint64{}
		for i, steps := 0, rapid.IntRange(5, 40).Draw(rt, "steps"); i < steps; i++ {
			sa, _ := NewState(kv).SubAccount(addr(card))
			amount := rapid.Uint64Range(1, 1500).Draw(rt, "amount")
			from, body := card, chain.Body(nil)
			switch rapid.IntRange(0, 7).Draw(rt, "kind") {
			case 0, 1:
				body = chain.Transfer{To: addr(shop), Asset: "CNY", Amount: amount}
			case 2:
				body = chain.Hold{Payee: addr(other), Asset: "CNY", Amount: amount, Expiry: now + day}
			case 3:
				body = chain.Withdraw{Asset: "CNY", Amount: amount, Details: sealedDetails}
			case 4:
				from, body = parent, chain.Transfer{To: addr(card), Asset: "CNY", Amount: amount}
			case 5:
				from, body = parent, chain.Transfer{To: addr(other), Asset: "CNY", Amount: amount * 40} // the main account spends too
			case 6:
				from, body = parent, chain.SetSubAccount{Sub: addr(card), Terms: drawTerms()}
				spent = map[uint64]uint64{}
			default:
				now += rapid.Uint64Range(1, 2*day).Draw(rt, "time passes")
				continue
			}
			mainBefore, subBefore := cny(parent), cny(card)
			rec := apply(from, body)
			checkSupply(rt, kv)
			if from != card {
				continue
			}
			mainOut, subAfter := mainBefore-cny(parent), cny(card)
			if !rec.OK() {
				if mainOut != 0 || subAfter != subBefore {
					rt.Fatalf("a rejected %s (%s) moved funds: main -%d, sub %d→%d", body.TxType(), rec.Code, mainOut, subBefore, subAfter)
				}
				continue
			}
			d, _ := debitOf(NewState(kv), body)
			want := uint64(0)
			if sa.Terms.Draw && d.amount > subBefore {
				want = d.amount - subBefore
			}
			if mainOut != want {
				rt.Fatalf("a purchase of %d with %d on the sub-account (draw %v) took %d from the main account, want %d", d.amount, subBefore, sa.Terms.Draw, mainOut, want)
			}
			l, _ := sa.Terms.Limit("CNY")
			n := (now - sa.Created) / l.Period
			spent[n] += d.amount
			if spent[n] > l.Amount {
				rt.Fatalf("period %d: spent %d, limit %d", n, spent[n], l.Amount)
			}
		}
	})
}
