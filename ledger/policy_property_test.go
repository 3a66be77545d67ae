package ledger

import (
	"crypto/ecdsa"
	"maps"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"pgregory.net/rapid"
)

// TestPolicyProperty runs random policies and random transactions of every
// debit type (transfer, hold, release, withdraw, accept, with the requests
// they pay) and policy changes by bank and account, with random
// co-signers, and checks after every transaction:
//
//   - an accepted debit from a policy-bound account carried every
//     co-signature its policy required, by an oracle written from the
//     specification (docs/POLICIES.md), not by checkPolicy;
//   - no account's available balance falls but by its own accepted
//     debit, and no other account's funds fall at all;
//   - money is conserved: per asset, balances sum to minted − burned.
//
// Each policy-bound account also has a purchase sub-account whose terms it
// (with random co-signers) or its bank sets at random, top-up or draw: an
// accepted draw authorization by the account carried the co-signatures its
// policy required for a debit of the limit to the sub-account, and a
// purchase from the sub-account takes from the main account no more than
// the limit of draw terms so authorized.
func TestPolicyProperty(t *testing.T) {
	f := newMemFixture(t, 7)
	c := f.customers
	bound := []*ecdsa.PrivateKey{c[0], c[1]}
	guardians := []*ecdsa.PrivateKey{c[2], c[3], c[4]}
	super, merchant := c[5], c[6]
	stranger := devnet.Key(testSeed, "stranger", 0)
	wk := map[common.Address]*ecdsa.PrivateKey{addr(c[0]): devnet.Key(testSeed, "wk", 0), addr(c[1]): devnet.Key(testSeed, "wk", 1)}
	bankOf := map[common.Address]*ecdsa.PrivateKey{addr(c[0]): f.banks[0], addr(c[1]): f.banks[1]}
	payees := []*ecdsa.PrivateKey{c[0], c[1], c[2], merchant}
	cardOf := map[common.Address]*ecdsa.PrivateKey{addr(c[0]): devnet.Key(testSeed, "card", 0), addr(c[1]): devnet.Key(testSeed, "card", 1)}
	genesis := f.genesisKV()

	stats := map[string]int{}
	defer func() { t.Log("outcomes (coverage):", stats) }()
	rapid.Check(t, func(rt *rapid.T) {
		kv := maps.Clone(genesis)
		height, now := uint64(1), f.now+1000
		var holds, requests []common.Hash
		type waitingPayment struct {
			body     chain.Body
			cos      []*ecdsa.PrivateKey
			payer    *ecdsa.PrivateKey
			deadline uint64
			open     bool
		}
		waiting := map[common.Hash]*waitingPayment{}
		var waitingIDs []common.Hash
		drawAuthorized := map[common.Address]uint64{} // a sub-account: the limit its main account (or bank) authorized it to draw; absent: none
		apply := func(from *ecdsa.PrivateKey, body chain.Body, cos ...*ecdsa.PrivateKey) (*chain.Receipt, common.Hash) {
			st := NewState(kv)
			st.SetBlock(BlockContext{Height: height, Time: now, Params: f.g.Params})
			acct, _ := st.Account(addr(from))
			tx := chain.NewTx(f.g.ChainID, acct.Nonce, body)
			for _, k := range append([]*ecdsa.PrivateKey{from}, cos...) {
				_ = tx.Sign(k)
			}
			rec, err := ApplyTx(st, f.g.ChainID, tx)
			if err != nil {
				rt.Fatalf("%s: %v", tx.Type(), err)
			}
			cs, err := st.Changes()
			if err != nil {
				rt.Fatal(err)
			}
			kv.Apply(cs)
			height, now = height+1, now+1000
			if rec.OK() {
				if _, ok := body.(chain.Hold); ok {
					holds = append(holds, tx.Hash())
				}
				if _, ok := body.(chain.PaymentRequest); ok {
					requests = append(requests, tx.Hash())
				}
			}
			return rec, tx.Hash()
		}
		for _, a := range bound {
			if rapid.IntRange(0, 3).Draw(rt, "verification key") > 0 {
				apply(a, chain.SetWithdrawalKey{Key: addr(wk[addr(a)])})
			}
			apply(bankOf[addr(a)], chain.SetPolicy{Account: addr(a), Policy: drawPolicy(rt, guardians, super)})
		}
		paid := map[[2]common.Address]bool{} // the oracle's own record of payees paid under the rule
		steps := rapid.IntRange(10, 60).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			from := bound[rapid.IntRange(0, len(bound)-1).Draw(rt, "from")]
			sender := addr(from)
			payee := payees[rapid.IntRange(0, len(payees)-1).Draw(rt, "payee")]
			if payee == from {
				payee = merchant
			}
			amount := rapid.Uint64Range(1, 6000).Draw(rt, "amount")
			var body chain.Body
			var signer = from
			var decided *waitingPayment // the waiting payment an approve, reject or recall answers
			kind := rapid.IntRange(0, 13).Draw(rt, "kind")
			card := cardOf[sender]
			var drawTerms *chain.SubTerms
			switch kind {
			case 0, 1:
				body = chain.Transfer{To: addr(payee), Asset: "CNY", Amount: amount}
			case 2:
				body = chain.Hold{Payee: addr(payee), Asset: "CNY", Amount: amount, Expiry: now + 3_600_000}
			case 3:
				if len(holds) == 0 {
					continue
				}
				body = chain.Release{Escrow: holds[rapid.IntRange(0, len(holds)-1).Draw(rt, "hold")]}
			case 4:
				body = chain.Withdraw{Asset: "CNY", Amount: amount, Details: sealedDetails}
			case 5:
				mode := chain.SettleMode(rapid.IntRange(1, 2).Draw(rt, "mode"))
				r := chain.PaymentRequest{Payer: sender, Asset: "CNY", Amount: amount, Expiry: now + 3_600_000, Mode: mode}
				if mode == chain.SettleEscrow {
					r.HoldFor = 3_600_000
				}
				signer, body = merchant, r
			case 6:
				if len(requests) == 0 {
					continue
				}
				id := requests[rapid.IntRange(0, len(requests)-1).Draw(rt, "request")]
				r, ok := NewState(kv).Request(id)
				if !ok || r.Payer != sender {
					continue
				}
				body = chain.Accept{Request: id, Asset: r.Asset, Amount: r.Amount}
			case 8, 9, 10:
				if len(waitingIDs) == 0 {
					continue
				}
				id := waitingIDs[rapid.IntRange(0, len(waitingIDs)-1).Draw(rt, "waiting payment")]
				decided = waiting[id]
				from, sender, signer = decided.payer, addr(decided.payer), super
				switch kind {
				case 8:
					body = chain.ApprovePayment{Payment: id}
				case 9:
					body = chain.RejectPayment{Payment: id, Reason: "FRAUD"}
				default:
					body, signer = chain.RecallPayment{Payment: id}, from
				}
			case 11:
				now += uint64(chain.ApprovalWindow.Milliseconds()) // time passes: waiting payments lapse
				continue
			case 12: // the account (or its bank) sets its sub-account's terms
				t := chain.SubTerms{Limits: []chain.SubLimit{{Asset: "CNY", Amount: rapid.Uint64Range(0, 6000).Draw(rt, "limit"), Period: day}},
					Draw: rapid.IntRange(0, 3).Draw(rt, "draw") > 0}
				drawTerms = &t
				if rapid.Bool().Draw(rt, "terms by the bank") {
					signer = bankOf[sender]
				}
				if _, exists := NewState(kv).SubAccount(addr(card)); exists {
					body = chain.SetSubAccount{Sub: addr(card), Terms: t}
				} else {
					body = chain.CreateSubAccount{Main: sender, Sub: addr(card), Terms: t}
				}
			case 13: // a purchase from the sub-account
				if _, exists := NewState(kv).SubAccount(addr(card)); !exists {
					continue
				}
				signer, body = card, chain.Transfer{To: addr(merchant), Asset: "CNY", Amount: amount}
			default:
				p := drawPolicy(rt, guardians, super)
				signer = bankOf[sender]
				if rapid.Bool().Draw(rt, "by the account") {
					signer = from
				}
				body = chain.SetPolicy{Account: sender, Policy: p}
			}
			var cos []*ecdsa.PrivateKey
			if signer == from && chain.MaxSigs(body.TxType()) == chain.MaxTxSigs { // a debit
				// mostly the holders of a role on the account, each
				// perhaps; sometimes someone without one
				p := NewState(kv).Policy(sender)
				a, _ := NewState(kv).Account(sender)
				hasRole := func(k *ecdsa.PrivateKey) bool {
					return addr(k) == a.WithdrawalKey || addr(k) == p.Supervisor || p.IsGuardian(addr(k))
				}
				for _, k := range append([]*ecdsa.PrivateKey{super, wk[sender]}, guardians...) {
					if !hasRole(k) && rapid.IntRange(0, 31).Draw(rt, "one without a role co-signs") != 13 {
						continue
					}
					if k == super && rapid.Bool().Draw(rt, "the supervisor approves at once") {
						continue
					}
					if rapid.IntRange(0, 3).Draw(rt, "co-signs") > 0 {
						cos = append(cos, k)
					}
				}
				if rapid.IntRange(0, 31).Draw(rt, "a stranger co-signs") == 13 { // rare (rapid favours the ends of a range)
					cos = append(cos, stranger)
				}
			}

			before := NewState(kv)
			policy := before.Policy(sender)
			acct, _ := before.Account(sender)
			balances := availableAndTotal(kv)
			d, isDebit := debitOf(before, body)
			at := now
			rec, id := apply(signer, body, cos...)

			if isDebit && signer == from {
				stats["debit "+rec.Code]++
			}
			if decided != nil || drawTerms != nil && signer == from {
				stats[body.TxType().String()+" "+rec.Code]++
			}
			debitor := common.Address{} // the account whose available may fall
			judge := func(d debit, cos []*ecdsa.PrivateKey) {
				if why := policyOracle(policy, acct.WithdrawalKey, paid[[2]common.Address{sender, d.payee}], d, cos); why != "" {
					rt.Fatalf("%s of %d accepted without %s (policy %+v, co-signers %d)", body.TxType(), d.amount, why, policy, len(cos))
				}
			}
			_, nowWaiting := NewState(kv).Approval(id)
			switch {
			case rec.OK() && isDebit && signer == from && nowWaiting:
				judge(d, append(slices.Clone(cos), super)) // all but the supervisor's approval
				waiting[id] = &waitingPayment{body: body, cos: cos, payer: from, deadline: at + uint64(chain.ApprovalWindow.Milliseconds()), open: true}
				waitingIDs = append(waitingIDs, id)
				stats["waits"]++
			case rec.OK() && isDebit && signer == from:
				judge(d, cos)
				debitor = sender
			case rec.OK() && drawTerms != nil:
				delete(drawAuthorized, addr(card))
				if drawTerms.Draw {
					if signer == from {
						judge(debit{asset: "CNY", amount: drawTerms.Limits[0].Amount, payee: addr(card)}, cos)
					}
					drawAuthorized[addr(card)] = drawTerms.Limits[0].Amount
				}
			case rec.OK() && decided != nil:
				if !decided.open || at > decided.deadline {
					rt.Fatalf("a %s of a payment decided or lapsed before was accepted", body.TxType())
				}
				decided.open = false
				if kind == 8 {
					d, _ = debitOf(before, decided.body)
					judge(d, append(slices.Clone(decided.cos), super))
					debitor = sender
				}
			}
			if debitor != (common.Address{}) && policy.NewPayeeNeedsGuardian && d.payee != (common.Address{}) {
				paid[[2]common.Address{sender, d.payee}] = true
			}
			after := availableAndTotal(kv)
			if signer == card && after[sender][0] < balances[sender][0] { // a purchase drew from the main account
				limit, ok := drawAuthorized[addr(card)]
				if drawn := balances[sender][0] - after[sender][0]; !ok || drawn > limit {
					rt.Fatalf("a purchase from %s's sub-account drew %d from it, authorized %d (%v)", sender, drawn, limit, ok)
				}
				debitor = sender
				stats["purchase drew"]++
			}
			for a, b := range balances {
				debited := a == debitor
				if after[a][0] < b[0] && !debited {
					rt.Fatalf("%s's available fell %d → %d by a %s (%q) that is not its accepted debit", a, b[0], after[a][0], body.TxType(), rec.Code)
				}
				if after[a][1] < b[1] && a != addr(signer) && !debited {
					// (a release lowers its sender's held funds; an approved
					// payment its payer's)
					rt.Fatalf("%s's funds fell %d → %d by another's %s", a, b[1], after[a][1], body.TxType())
				}
			}
			checkSupply(rt, kv)
		}
	})
}

// availableAndTotal maps every account to its CNY available and total
// (available + held + locked) balance.
func availableAndTotal(kv MemKV) map[common.Address][2]uint64 {
	out := map[common.Address][2]uint64{}
	st := NewState(kv)
	for k := range kv {
		if k[0] != chain.PrefixAccount {
			continue
		}
		a := common.BytesToAddress([]byte(k[1:]))
		acct, _ := st.Account(a)
		b := acct.Balance("CNY")
		out[a] = [2]uint64{b.Available, b.Available + b.Held + b.Locked}
	}
	return out
}

func drawPolicy(rt *rapid.T, guardians []*ecdsa.PrivateKey, super *ecdsa.PrivateKey) chain.Policy {
	var p chain.Policy
	if rapid.IntRange(0, 3).Draw(rt, "tiers") > 0 {
		small := rapid.Uint64Range(0, 3000).Draw(rt, "small")
		p.Tiers = []chain.Tier{{Asset: "CNY", Small: small, Normal: small + rapid.Uint64Range(0, 3000).Draw(rt, "normal")}}
	}
	var gs []*ecdsa.PrivateKey
	for _, g := range guardians {
		if rapid.Bool().Draw(rt, "guardian") {
			gs = append(gs, g)
		}
	}
	if len(gs) > 0 {
		p.Guardians = sortedGuardians(gs...)
		p.Threshold = uint64(rapid.IntRange(1, len(gs)).Draw(rt, "threshold"))
		p.NewPayeeNeedsGuardian = rapid.Bool().Draw(rt, "new-payee rule")
	}
	if rapid.Bool().Draw(rt, "supervisor") {
		p.Supervisor = addr(super)
	}
	return p
}

// policyOracle says what an accepted debit lacked, or "": the policy's
// requirements restated from docs/POLICIES.md.
func policyOracle(p *chain.Policy, key common.Address, known bool, d debit, cos []*ecdsa.PrivateKey) string {
	signed := map[common.Address]bool{}
	for _, k := range cos {
		signed[addr(k)] = true
	}
	for a := range signed {
		if a != key && a != p.Supervisor && !slices.Contains(p.Guardians, a) {
			return "every co-signer having a role"
		}
	}
	normal, large := false, false
	for _, t := range p.Tiers {
		if t.Asset == d.asset {
			normal, large = d.amount > t.Small, d.amount > t.Normal
		}
	}
	guardians := uint64(0)
	for _, g := range p.Guardians {
		if signed[g] && g != key {
			guardians++
		}
	}
	switch {
	case normal && (key == common.Address{} || !signed[key]):
		return "the verification key"
	case (large || p.NewPayeeNeedsGuardian && (d.payee == common.Address{} || !known)) && guardians < p.Threshold:
		return "the guardians"
	case large && p.Supervisor != (common.Address{}) && !signed[p.Supervisor]:
		return "the supervisor"
	}
	return ""
}

// TestTighterIsSound: the account may replace its policy by any policy
// TighterThan it, so tighter must mean what it says: for random old and
// new policies with new.TighterThan(old), any debit (amount, payee known
// or not) with any co-signers that the new policy lets through, the old
// one lets through too (with those of the co-signers it gives a role), by
// checkPolicy itself.
func TestTighterIsSound(t *testing.T) {
	f := newMemFixture(t, 6)
	c := f.customers
	account, guardians, super, payee := c[0], []*ecdsa.PrivateKey{c[1], c[2], c[3]}, c[4], c[5]
	key := devnet.Key(testSeed, "wk", 0)
	genesis := f.genesisKV()
	compared := 0
	defer func() { t.Logf("%d pairs compared", compared) }()
	rapid.Check(t, func(rt *rapid.T) {
		old, tighter := drawPolicy(rt, guardians, super), drawPolicy(rt, guardians, super)
		if rapid.Bool().Draw(rt, "tighten the old one") { // else two independent draws, rarely comparable
			tighter = old
			tighter.Tiers = slices.Clone(old.Tiers)
			for i := range tighter.Tiers {
				tighter.Tiers[i].Small -= rapid.Uint64Range(0, tighter.Tiers[i].Small).Draw(rt, "lower small")
				tighter.Tiers[i].Normal -= rapid.Uint64Range(0, tighter.Tiers[i].Normal-tighter.Tiers[i].Small).Draw(rt, "lower normal")
			}
			if old.Threshold < uint64(len(old.Guardians)) && rapid.Bool().Draw(rt, "raise threshold") {
				tighter.Threshold++
			}
			if rapid.Bool().Draw(rt, "add supervisor") {
				tighter.Supervisor = addr(super)
			}
			if len(old.Guardians) > 0 && rapid.Bool().Draw(rt, "rule on") {
				tighter.NewPayeeNeedsGuardian = true
			}
		}
		if tighter.Validate(addr(account)) != nil || old.Validate(addr(account)) != nil || !tighter.TighterThan(&old) {
			return
		}
		var cos []common.Address
		for _, k := range append([]*ecdsa.PrivateKey{key, super}, guardians...) {
			if rapid.Bool().Draw(rt, "co-signs") {
				cos = append(cos, addr(k))
			}
		}
		payeeKnown := rapid.Bool().Draw(rt, "payee known")
		d := debit{asset: "CNY", amount: rapid.Uint64Range(1, 7000).Draw(rt, "amount"), payee: addr(payee)}
		verdict := func(p chain.Policy, cos []common.Address) error {
			st := NewState(maps.Clone(genesis))
			acct, _ := st.Account(addr(account))
			acct.WithdrawalKey = addr(key)
			st.SetAccount(addr(account), acct)
			st.SetPolicy(addr(account), &p)
			if payeeKnown {
				st.put(chain.PayeeKey(addr(account), addr(payee)), &chain.KnownPayee{})
			}
			return checkPolicy(st, txContext{sender: addr(account), cosigners: cos}, d)
		}
		// Under the old policy, a co-signer who holds no role there (a
		// guardian only the new one names) would be refused as a stranger:
		// the same debit is allowed by old with the co-signers it knows.
		var known []common.Address
		for _, a := range cos {
			if a == addr(key) || a == old.Supervisor || old.IsGuardian(a) {
				known = append(known, a)
			}
		}
		compared++
		if verdict(tighter, cos) == nil {
			if err := verdict(old, known); err != nil {
				rt.Fatalf("the tighter policy %+v allows what %+v refuses (%v)", tighter, old, err)
			}
		}
	})
}
