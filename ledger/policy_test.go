package ledger

import (
	"bytes"
	"crypto/ecdsa"
	"maps"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// policyWorld is a ledger state (MemKV) with accounts under policies, for
// applying transactions one at a time without blocks.
type policyWorld struct {
	t      testing.TB
	f      *fixture
	kv     MemKV
	height uint64
	time   uint64
}

func newPolicyWorld(t testing.TB, customers int) *policyWorld {
	f := newMemFixture(t, customers)
	return &policyWorld{t: t, f: f, kv: f.genesisKV(), height: 1, time: f.now + 1000}
}

// try applies one transaction signed by from and then each co-signer on a
// copy of the state, returning the receipt and the state after it.
func (w *policyWorld) try(from *ecdsa.PrivateKey, body chain.Body, cos ...*ecdsa.PrivateKey) (*chain.Receipt, *chain.Tx, MemKV) {
	w.t.Helper()
	kv := maps.Clone(w.kv)
	st := NewState(kv)
	st.SetBlock(BlockContext{Height: w.height, Time: w.time, Params: w.f.g.Params})
	acct, ok := st.Account(addr(from))
	if !ok {
		w.t.Fatalf("sender %s not registered", addr(from))
	}
	tx := chain.NewTx(w.f.g.ChainID, acct.Nonce, body)
	for _, k := range append([]*ecdsa.PrivateKey{from}, cos...) {
		if err := tx.Sign(k); err != nil {
			w.t.Fatal(err)
		}
	}
	rec, err := ApplyTx(st, w.f.g.ChainID, tx)
	if err != nil {
		w.t.Fatalf("apply %s: %v", tx.Type(), err)
	}
	cs, err := st.Changes()
	if err != nil {
		w.t.Fatal(err)
	}
	kv.Apply(cs)
	return rec, tx, kv
}

// do applies a transaction that must succeed and keeps its state.
func (w *policyWorld) do(from *ecdsa.PrivateKey, body chain.Body, cos ...*ecdsa.PrivateKey) *chain.Tx {
	w.t.Helper()
	rec, tx, kv := w.try(from, body, cos...)
	if rec.Code != "" {
		w.t.Fatalf("%s by %s: %s", tx.Type(), addr(from), rec.Code)
	}
	w.kv = kv
	w.height++
	w.time += 1000
	return tx
}

func (w *policyWorld) state() *State { return NewState(w.kv) }

func sortedGuardians(keys ...*ecdsa.PrivateKey) []common.Address {
	out := make([]common.Address, len(keys))
	for i, k := range keys {
		out[i] = addr(k)
	}
	slices.SortFunc(out, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// TestPolicyTiers is the specification of the policy check: every tier,
// co-signer combination and rejection code, on every debit type.
func TestPolicyTiers(t *testing.T) {
	w := newPolicyWorld(t, 8)
	c := w.f.customers
	bankA, bankB := w.f.banks[0], w.f.banks[1]
	alice, bob, g1, g2, g3, super, dave, erin := c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]
	wkA, wkD := devnet.Key(testSeed, "wk", 0), devnet.Key(testSeed, "wk", 1)
	stranger := devnet.Key(testSeed, "stranger", 0)
	cny := []chain.Tier{{Asset: "CNY", Small: 100, Normal: 1000}}

	// alice: tiers, verification key, 2 of 3 guardians.
	w.do(alice, chain.SetWithdrawalKey{Key: addr(wkA)})
	w.do(bankA, chain.SetPolicy{Account: addr(alice), Policy: chain.Policy{Tiers: cny, Guardians: sortedGuardians(g1, g2, g3), Threshold: 2}})
	// dave: tiers, verification key, 1 guardian and a supervisor.
	w.do(dave, chain.SetWithdrawalKey{Key: addr(wkD)})
	w.do(bankA, chain.SetPolicy{Account: addr(dave), Policy: chain.Policy{Tiers: cny, Guardians: sortedGuardians(g1), Threshold: 1, Supervisor: addr(super)}})
	// bob: tiers but no verification key.
	w.do(bankB, chain.SetPolicy{Account: addr(bob), Policy: chain.Policy{Tiers: cny}})
	// erin: the new-payee rule alone.
	w.do(bankB, chain.SetPolicy{Account: addr(erin), Policy: chain.Policy{Guardians: sortedGuardians(g1), Threshold: 1, NewPayeeNeedsGuardian: true}})
	// requests from bob to alice, one per tier and mode
	req := map[string]common.Hash{}
	for name, r := range map[string]chain.PaymentRequest{
		"small": {Amount: 50}, "normal": {Amount: 500}, "large": {Amount: 5000},
		"large escrow": {Amount: 5000, Mode: chain.SettleEscrow, HoldFor: 3_600_000},
	} {
		r.Payer, r.Asset, r.Expiry = addr(alice), "CNY", w.time+3_600_000
		if r.Mode == 0 {
			r.Mode = chain.SettleDirect
		}
		req[name] = w.do(bob, r).Hash()
	}
	large := w.do(alice, chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 5000, Expiry: w.time + 3_600_000}, wkA, g1, g2)

	to := func(k *ecdsa.PrivateKey, amount uint64) chain.Body {
		return chain.Transfer{To: addr(k), Asset: "CNY", Amount: amount}
	}
	hold := func(amount uint64) chain.Body {
		return chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: amount, Expiry: w.time + 3_600_000}
	}
	withdraw := func(amount uint64) chain.Body {
		return chain.Withdraw{Asset: "CNY", Amount: amount, Details: sealedDetails}
	}
	accept := func(name string, amount uint64) chain.Body {
		return chain.Accept{Request: req[name], Asset: "CNY", Amount: amount}
	}
	ks := func(k ...*ecdsa.PrivateKey) []*ecdsa.PrivateKey { return k }
	const waits = "(waits for the supervisor)"
	rows := []struct {
		name string
		from *ecdsa.PrivateKey
		body chain.Body
		cos  []*ecdsa.PrivateKey
		code string
	}{
		{"small: the sender alone", alice, to(bob, 100), nil, ""},
		{"normal at the boundary: the sender alone", alice, to(bob, 101), nil, "verification_key_required"},
		{"normal: and the verification key", alice, to(bob, 1000), ks(wkA), ""},
		{"normal: a guardian is no verification key", alice, to(bob, 500), ks(g1), "verification_key_required"},
		{"large at the boundary: key, no guardian", alice, to(bob, 1001), ks(wkA), "guardian_signature_required"},
		{"large: key and one of two guardians", alice, to(bob, 5000), ks(wkA, g1), "guardian_signature_required"},
		{"large: key and two guardians", alice, to(bob, 5000), ks(wkA, g1, g2), ""},
		{"large: guardians in any order", alice, to(bob, 5000), ks(g3, wkA, g1), ""},
		{"large: key and three guardians", alice, to(bob, 5000), ks(wkA, g1, g2, g3), ""},
		{"large: guardians without the key", alice, to(bob, 5000), ks(g1, g2), "verification_key_required"},
		{"small: a stranger co-signs", alice, to(bob, 10), ks(stranger), "not_authorized"},
		{"large: another account's supervisor co-signs", alice, to(bob, 5000), ks(wkA, g1, g2, super), "not_authorized"},
		{"large: overdraft still insufficient_funds", alice, to(bob, 1_000_000), ks(wkA, g1, g2), "insufficient_funds"},

		{"hold small", alice, hold(100), nil, ""},
		{"hold normal: the sender alone", alice, hold(500), nil, "verification_key_required"},
		{"hold normal: and the key", alice, hold(500), ks(wkA), ""},
		{"hold large: key and one guardian", alice, hold(5000), ks(wkA, g2), "guardian_signature_required"},
		{"hold large: key and two guardians", alice, hold(5000), ks(wkA, g2, g3), ""},
		{"release of a large hold: the sender alone", alice, chain.Release{Escrow: large.Hash()}, nil, ""},

		{"withdraw small: the withdrawal key still co-signs", alice, withdraw(50), nil, "withdrawal_key_required"},
		{"withdraw small: and the key", alice, withdraw(50), ks(wkA), ""},
		{"withdraw large: key alone", alice, withdraw(5000), ks(wkA), "guardian_signature_required"},
		{"withdraw large: key and two guardians", alice, withdraw(5000), ks(wkA, g1, g3), ""},

		{"accept small", alice, accept("small", 50), nil, ""},
		{"accept normal: the sender alone", alice, accept("normal", 500), nil, "verification_key_required"},
		{"accept normal: and the key", alice, accept("normal", 500), ks(wkA), ""},
		{"accept large: key alone", alice, accept("large", 5000), ks(wkA), "guardian_signature_required"},
		{"accept large: key and two guardians", alice, accept("large", 5000), ks(wkA, g1, g2), ""},
		{"accept large into escrow: key alone", alice, accept("large escrow", 5000), ks(wkA), "guardian_signature_required"},
		{"accept large into escrow: key and two guardians", alice, accept("large escrow", 5000), ks(wkA, g1, g2), ""},
		{"accept of no request: request_not_found", alice, chain.Accept{Request: common.Hash{9}, Asset: "CNY", Amount: 5000}, nil, "request_not_found"},

		{"no key: small", bob, to(alice, 100), nil, ""},
		{"no key: normal", bob, to(alice, 500), nil, "verification_key_required"},
		{"no key: a stranger's co-signature is no key", bob, to(alice, 500), ks(stranger), "not_authorized"},

		{"supervisor: normal needs no approval", dave, to(bob, 500), ks(wkD), ""},
		{"supervisor: large with the guardian waits", dave, to(bob, 5000), ks(wkD, g1), waits},
		{"supervisor: large with the supervisor", dave, to(bob, 5000), ks(wkD, super), "guardian_signature_required"},
		{"supervisor: large with both", dave, to(bob, 5000), ks(wkD, super, g1), ""},
		{"supervisor: hold large with both", dave, hold(5000), ks(wkD, g1, super), ""},
		{"supervisor: withdraw large without approval waits", dave, withdraw(5000), ks(wkD, g1), waits},
		{"supervisor: hold large without approval waits", dave, hold(5000), ks(wkD, g1), waits},
		{"supervisor: large without the key does not wait", dave, to(bob, 5000), ks(g1), "verification_key_required"},

		{"new payee: the sender alone", erin, to(bob, 1), nil, "guardian_signature_required"},
		{"new payee: with the guardian", erin, to(bob, 1), ks(g1), ""},
		{"new payee: a withdraw always", erin, withdraw(1), nil, "guardian_signature_required"},
		{"new payee: a withdraw with the guardian", erin, withdraw(1), ks(g1), ""},

		{"no policy: a transfer co-signed by a stranger", g1, to(bob, 1), ks(stranger), "not_authorized"},
		{"no policy: any amount", g1, to(bob, 100_000), nil, ""},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			from := addr(row.from)
			before, _ := w.state().Account(from)
			rec, tx, kv := w.try(row.from, row.body, row.cos...)
			want := row.code
			if want == waits {
				want = ""
			}
			if rec.Code != want {
				t.Fatalf("code %q, want %q", rec.Code, want)
			}
			after, _ := NewState(kv).Account(from)
			spent := before.Balance("CNY").Available - after.Balance("CNY").Available
			a, waiting := NewState(kv).Approval(tx.Hash())
			if waiting != (row.code == waits) || waiting && a.Status != chain.ApprovalAwaiting {
				t.Fatalf("awaiting approval: %v, want %v", waiting, row.code == waits)
			}
			if row.code != "" && spent != 0 {
				t.Fatalf("a rejected debit moved %d", spent)
			}
			if _, amount := chain.DebitOf(row.body); row.code == "" && amount != 0 && spent != amount {
				t.Fatalf("an accepted debit moved %d, want %d", spent, amount)
			}
		})
	}
}

// TestNewPayeeRemembered: under the new-payee rule, only the first payment
// to a payee needs the guardian; a rejected first payment is no payment.
func TestNewPayeeRemembered(t *testing.T) {
	w := newPolicyWorld(t, 4)
	erin, bob, carol, g := w.f.customers[0], w.f.customers[1], w.f.customers[2], w.f.customers[3]
	w.do(w.f.banks[0], chain.SetPolicy{Account: addr(erin), Policy: chain.Policy{Guardians: sortedGuardians(g), Threshold: 1, NewPayeeNeedsGuardian: true}})
	pay := func(k *ecdsa.PrivateKey) chain.Body { return chain.Transfer{To: addr(k), Asset: "CNY", Amount: 1} }
	for i, step := range []struct {
		body     chain.Body
		guardian bool
		code     string
	}{
		{pay(bob), false, "guardian_signature_required"},
		{pay(bob), false, "guardian_signature_required"}, // the refusal did not make bob known
		{pay(bob), true, ""},
		{pay(bob), false, ""},
		{pay(carol), false, "guardian_signature_required"},
		{chain.Hold{Payee: addr(carol), Asset: "CNY", Amount: 1, Expiry: w.time + 3_600_000}, true, ""},
		{pay(carol), false, ""},
	} {
		var cos []*ecdsa.PrivateKey
		if step.guardian {
			cos = append(cos, g)
		}
		rec, _, kv := w.try(erin, step.body, cos...)
		if rec.Code != step.code {
			t.Fatalf("step %d: code %q, want %q", i, rec.Code, step.code)
		}
		w.kv = kv
	}
}

// TestSetPolicy: who may set a policy, and what the account itself may do.
func TestSetPolicy(t *testing.T) {
	w := newPolicyWorld(t, 5)
	bankA, bankB := w.f.banks[0], w.f.banks[1]
	alice, g1, g2, super := w.f.customers[0], w.f.customers[2], w.f.customers[3], w.f.customers[4]
	stranger := devnet.Key(testSeed, "stranger", 0)
	cny := []chain.Tier{{Asset: "CNY", Small: 100, Normal: 1000}}
	base := chain.Policy{Tiers: cny, Guardians: sortedGuardians(g1), Threshold: 1}
	w.do(bankA, chain.SetPolicy{Account: addr(alice), Policy: base})
	with := func(f func(*chain.Policy)) chain.Policy {
		p := base
		p.Tiers = slices.Clone(base.Tiers)
		p.Guardians = slices.Clone(base.Guardians)
		f(&p)
		return p
	}
	set := func(p chain.Policy) chain.Body { return chain.SetPolicy{Account: addr(alice), Policy: p} }
	for _, row := range []struct {
		name string
		from *ecdsa.PrivateKey
		body chain.Body
		code string
	}{
		{"the servicing bank loosens", bankA, set(with(func(p *chain.Policy) { p.Tiers[0].Normal = 9000 })), ""},
		{"the servicing bank removes it", bankA, set(chain.Policy{}), ""},
		{"another bank", bankB, set(base), "not_authorized"},
		{"a guardian", g1, set(base), "not_authorized"},
		{"the account tightens its tiers", alice, set(with(func(p *chain.Policy) { p.Tiers[0].Small = 10 })), ""},
		{"the account adds a supervisor", alice, set(with(func(p *chain.Policy) { p.Supervisor = addr(super) })), ""},
		{"the account adds a guardian and raises the threshold", alice, set(with(func(p *chain.Policy) { p.Guardians, p.Threshold = sortedGuardians(g1, g2), 2 })), ""},
		{"the account raises a limit", alice, set(with(func(p *chain.Policy) { p.Tiers[0].Normal = 1001 })), "policy_loosened"},
		{"the account swaps its guardian", alice, set(with(func(p *chain.Policy) { p.Guardians = sortedGuardians(g2) })), "policy_loosened"},
		{"the account removes it", alice, set(chain.Policy{}), "policy_loosened"},
		{"a malformed policy", bankA, set(with(func(p *chain.Policy) { p.Threshold = 2 })), "bad_policy"},
		{"a tier of an unknown asset", bankA, set(with(func(p *chain.Policy) { p.Tiers[0].Asset = "EUR" })), "unknown_asset"},
		{"an unregistered guardian", bankA, set(with(func(p *chain.Policy) { p.Guardians = []common.Address{addr(stranger)} })), "unknown_account"},
		{"an unregistered supervisor", bankA, set(with(func(p *chain.Policy) { p.Supervisor = addr(stranger) })), "unknown_account"},
		{"an unregistered account", bankA, chain.SetPolicy{Account: addr(stranger), Policy: base}, "unknown_account"},
	} {
		t.Run(row.name, func(t *testing.T) {
			rec, _, kv := w.try(row.from, row.body)
			if rec.Code != row.code {
				t.Fatalf("code %q, want %q", rec.Code, row.code)
			}
			got, want := NewState(kv).Policy(addr(alice)), &base
			if row.code == "" {
				p := row.body.(chain.SetPolicy).Policy
				want = &p
				if p.IsZero() {
					if _, stored := kv[string(chain.PolicyKey(addr(alice)))]; stored {
						t.Fatal("the zero policy left a state key")
					}
				}
			}
			if !policiesEqual(got, want) {
				t.Fatalf("policy %+v, want %+v", got, want)
			}
		})
	}
}

func policiesEqual(a, b *chain.Policy) bool {
	return slices.Equal(a.Tiers, b.Tiers) && slices.Equal(a.Guardians, b.Guardians) && a.Threshold == b.Threshold &&
		a.Supervisor == b.Supervisor && a.NewPayeeNeedsGuardian == b.NewPayeeNeedsGuardian
}

// TestPolicyAdmission: the pool's admission leaves the policy to inclusion
// (docs/adr/0050-account-policies.md): a debit short of a co-signature is
// admitted and gets its code in a receipt, since a pending set_policy or
// set_withdrawal_key could change the verdict; a set_policy whose form is
// wrong is refused at admission with the code inclusion would give.
func TestPolicyAdmission(t *testing.T) {
	w := newPolicyWorld(t, 3)
	alice, bob, g := w.f.customers[0], w.f.customers[1], w.f.customers[2]
	w.do(w.f.banks[0], chain.SetPolicy{Account: addr(alice), Policy: chain.Policy{Tiers: []chain.Tier{{Asset: "CNY", Small: 10, Normal: 20}}, Guardians: sortedGuardians(g), Threshold: 1}})

	short := chain.NewTx(w.f.g.ChainID, 0, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 15})
	_ = short.Sign(alice)
	if err := CheckAdmission(w.state(), w.f.g.ChainID, short); err != nil {
		t.Fatalf("admission: %v, want admitted (the policy is judged at inclusion)", err)
	}
	if rec, _, _ := w.try(alice, chain.Transfer{To: addr(bob), Asset: "CNY", Amount: 15}); rec.Code != chain.ErrVerificationKeyRequired.Code {
		t.Fatalf("inclusion: %q, want verification_key_required", rec.Code)
	}

	bad := chain.SetPolicy{Account: addr(alice), Policy: chain.Policy{Guardians: sortedGuardians(g)}} // no threshold
	badTx := chain.NewTx(w.f.g.ChainID, 0, bad)
	_ = badTx.Sign(w.f.banks[0])
	if err := CheckAdmission(w.state(), w.f.g.ChainID, badTx); chain.CodeOf(err) != chain.ErrBadPolicy.Code {
		t.Fatalf("admission of a malformed policy: %v, want bad_policy", err)
	}
	if rec, _, _ := w.try(w.f.banks[0], bad); rec.Code != chain.ErrBadPolicy.Code {
		t.Fatalf("inclusion of a malformed policy: %q, want bad_policy", rec.Code)
	}
}
