package ledger

import (
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestRequestRules is the alias and payment request specification: every
// transition and every rejection code, one block per row.
func TestRequestRules(t *testing.T) {
	f := newFixture(t, 4, escrowParams)
	alice, bob, carol, dave := f.customers[0], f.customers[1], f.customers[2], f.customers[3] // alice, carol: bank A; bob, dave: bank B
	bankA, bankB := f.banks[0], f.banks[1]
	stranger := devnet.Key(testSeed, "stranger", 0)
	phone, err := f.g.HashAlias("+86 138 0013 8000")
	if err != nil {
		t.Fatal(err)
	}
	mail, err := f.g.HashAlias("Alice@Example.COM")
	if err != nil {
		t.Fatal(err)
	}
	unbound, _ := f.g.HashAlias("nobody@example.com")
	ids := map[string]common.Hash{}
	now := func() uint64 { return f.now + 1000 } // the next block's time
	const start = 100_000

	bind := func(alias common.Hash, to *ecdsa.PrivateKey) func() chain.Body {
		return func() chain.Body { return chain.BindAlias{Alias: alias, Account: addr(to)} }
	}
	resolves := func(alias common.Hash, want *ecdsa.PrivateKey) func(*testing.T, *chain.Receipt) {
		return func(t *testing.T, _ *chain.Receipt) {
			b, ok, err := f.ledger.Alias(alias)
			switch {
			case err != nil:
				t.Fatal(err)
			case want == nil && ok:
				t.Fatalf("alias still bound to %s", b.Account)
			case want != nil && (!ok || b.Account != addr(want) || b.Height == 0 || b.Height > f.ledger.Head().Height):
				t.Fatalf("alias binding %+v (ok %v), want %s", b, ok, addr(want))
			}
		}
	}
	req := func(mut func(*chain.PaymentRequest)) func() chain.Body {
		return func() chain.Body {
			r := chain.PaymentRequest{Payer: addr(alice), Asset: "CNY", Amount: 10_000, Expiry: now() + 60_000, Ref: "ORDER-1", Mode: chain.SettleDirect}
			if mut != nil {
				mut(&r)
			}
			return r
		}
	}
	accept := func(label, asset string, amount uint64) func() chain.Body {
		return func() chain.Body { return chain.Accept{Request: ids[label], Asset: asset, Amount: amount} }
	}
	decline := func(label, reason string) func() chain.Body {
		return func() chain.Body { return chain.Decline{Request: ids[label], Reason: reason} }
	}
	cancel := func(label string) func() chain.Body {
		return func() chain.Body { return chain.CancelRequest{Request: ids[label]} }
	}
	status := func(label string, want chain.RequestStatus) func(*testing.T, *chain.Receipt) {
		return func(t *testing.T, _ *chain.Receipt) {
			t.Helper()
			r, ok, err := f.ledger.Request(ids[label])
			if err != nil || !ok {
				t.Fatalf("request %s: ok=%v err=%v", label, ok, err)
			}
			if r.Status != want {
				t.Fatalf("request %s is %s, want %s", label, r.Status, want)
			}
			if (want == chain.RequestOpen) != (r.EndedHeight == 0) {
				t.Fatalf("request %s is %s with ended height %d", label, r.Status, r.EndedHeight)
			}
		}
	}
	bal := func(k *ecdsa.PrivateKey, avail, held uint64) func(*testing.T, *chain.Receipt) {
		return func(t *testing.T, _ *chain.Receipt) {
			t.Helper()
			if b := f.balance(k, "CNY"); b.Available != avail || b.Held != held {
				t.Fatalf("%s CNY available/held %d/%d, want %d/%d", addr(k), b.Available, b.Held, avail, held)
			}
		}
	}
	events := func(kinds ...string) func(*testing.T, *chain.Receipt) {
		return func(t *testing.T, rec *chain.Receipt) {
			t.Helper()
			if len(rec.Events) != len(kinds) {
				t.Fatalf("events %+v, want %v", rec.Events, kinds)
			}
			for i, k := range kinds {
				if rec.Events[i].Kind != k {
					t.Fatalf("events %+v, want %v", rec.Events, kinds)
				}
			}
		}
	}
	all := func(cs ...func(*testing.T, *chain.Receipt)) func(*testing.T, *chain.Receipt) {
		return func(t *testing.T, r *chain.Receipt) {
			t.Helper()
			for _, c := range cs {
				c(t, r)
			}
		}
	}

	rows := []escrowRow{
		// aliases
		{name: "bind by a customer", from: alice, body: bind(phone, alice), code: "not_bank"},
		{name: "bind another bank's customer", from: bankB, body: bind(phone, alice), code: "not_authorized"},
		{name: "bind an unknown account", from: bankA, body: bind(phone, stranger), code: "unknown_account"},
		{name: "bind a zero hash", from: bankA, body: bind(common.Hash{}, alice), code: "malformed"},
		{name: "bind", from: bankA, body: bind(phone, alice), check: all(resolves(phone, alice), events(chain.EventAliasBound), func(t *testing.T, _ *chain.Receipt) {
			if b, _, _ := f.ledger.Alias(phone); b.Height != f.ledger.Head().Height || b.Bank != addr(bankA) {
				t.Fatalf("binding %+v, want bank A at height %d", b, f.ledger.Head().Height)
			}
		})},
		{name: "rebind by the same bank", from: bankA, body: bind(phone, carol), check: resolves(phone, carol)},
		{name: "bind taken by another bank", from: bankB, body: bind(phone, dave), code: "alias_taken", check: resolves(phone, carol)},
		{name: "unbind by another bank", from: bankB, body: func() chain.Body { return chain.UnbindAlias{Alias: phone} }, code: "not_authorized"},
		{name: "unbind unknown", from: bankA, body: func() chain.Body { return chain.UnbindAlias{Alias: unbound} }, code: "alias_not_found"},
		{name: "unbind", from: bankA, body: func() chain.Body { return chain.UnbindAlias{Alias: phone} }, check: all(resolves(phone, nil), events(chain.EventAliasUnbound))},
		{name: "bind after unbind", from: bankA, body: bind(phone, alice), check: resolves(phone, alice)},
		{name: "bind e-mail", from: bankA, body: bind(mail, alice), check: resolves(mail, alice)},
		// request refusals
		{name: "request zero", from: bob, body: req(func(r *chain.PaymentRequest) { r.Amount = 0 }), code: "zero_amount"},
		{name: "request unknown asset", from: bob, body: req(func(r *chain.PaymentRequest) { r.Asset = "EUR" }), code: "unknown_asset"},
		{name: "request naming payer twice", from: bob, body: req(func(r *chain.PaymentRequest) { r.PayerAlias = phone }), code: "malformed"},
		{name: "request naming no payer", from: bob, body: req(func(r *chain.PaymentRequest) { r.Payer = common.Address{} }), code: "malformed"},
		{name: "request to unbound alias", from: bob, body: req(func(r *chain.PaymentRequest) { r.Payer, r.PayerAlias = common.Address{}, unbound }), code: "alias_not_found"},
		{name: "request to self", from: alice, body: req(nil), code: "self_transfer"},
		{name: "request to unknown payer", from: bob, body: req(func(r *chain.PaymentRequest) { r.Payer = addr(stranger) }), code: "unknown_account"},
		{name: "request expiring at block time", from: bob, body: req(func(r *chain.PaymentRequest) { r.Expiry = now() }), code: "bad_expiry"},
		{name: "request expiring too late", from: bob, body: req(func(r *chain.PaymentRequest) {
			r.Expiry = now() + uint64((chain.MaxRequestLifetime + time.Second).Milliseconds())
		}), code: "bad_expiry"},
		{name: "request reference too long", from: bob, body: req(func(r *chain.PaymentRequest) { r.Ref = "0123456789012345678901234567890123456" }), code: "malformed"},
		{name: "direct request with arbiter", from: bob, body: req(func(r *chain.PaymentRequest) { r.Arbiter = addr(carol) }), code: "malformed"},
		{name: "unknown mode", from: bob, body: req(func(r *chain.PaymentRequest) { r.Mode = 9 }), code: "malformed"},
		{name: "escrow request without hold period", from: bob, body: req(func(r *chain.PaymentRequest) { r.Mode = chain.SettleEscrow }), code: "bad_expiry"},
		{name: "escrow request with payer as arbiter", from: bob, body: req(func(r *chain.PaymentRequest) {
			r.Mode, r.HoldFor, r.Arbiter = chain.SettleEscrow, 3_600_000, addr(alice)
		}), code: "bad_arbiter"},
		{name: "escrow request with unknown arbiter", from: bob, body: req(func(r *chain.PaymentRequest) {
			r.Mode, r.HoldFor, r.Arbiter = chain.SettleEscrow, 3_600_000, addr(stranger)
		}), code: "unknown_account"},
		// direct: open → paid
		{name: "request by alias", from: bob, label: "r1", body: req(func(r *chain.PaymentRequest) { r.Payer, r.PayerAlias = common.Address{}, mail }),
			check: all(status("r1", chain.RequestOpen), events(chain.EventRequestOpened))},
		{name: "accept by another", from: carol, body: accept("r1", "CNY", 10_000), code: "not_payer", check: status("r1", chain.RequestOpen)},
		{name: "accept another amount", from: alice, body: accept("r1", "CNY", 9_999), code: "amount_mismatch"},
		{name: "accept another asset", from: alice, body: accept("r1", "USD", 10_000), code: "amount_mismatch"},
		{name: "accept unknown", from: alice, body: func() chain.Body { return chain.Accept{Request: common.Hash{1}, Asset: "CNY", Amount: 1} }, code: "request_not_found"},
		{name: "accept", from: alice, body: accept("r1", "CNY", 10_000),
			check: all(status("r1", chain.RequestPaid), bal(alice, start-10_000, 0), bal(bob, start+10_000, 0), events(chain.EventRequestPaid))},
		{name: "accept twice", from: alice, body: accept("r1", "CNY", 10_000), code: "request_not_open", check: bal(alice, start-10_000, 0)},
		{name: "decline paid", from: alice, body: decline("r1", "AC04"), code: "request_not_open"},
		{name: "cancel paid", from: bob, body: cancel("r1"), code: "request_not_open", check: status("r1", chain.RequestPaid)},
		// escrow: accept opens the hold, linked
		{name: "escrow request", from: bob, label: "r2", body: req(func(r *chain.PaymentRequest) {
			r.Amount, r.Mode, r.HoldFor, r.Arbiter = 5_000, chain.SettleEscrow, 3_600_000, addr(carol)
		})},
		{name: "accept into escrow", from: alice, label: "e2", body: accept("r2", "CNY", 5_000),
			check: all(status("r2", chain.RequestPaid), bal(alice, start-15_000, 5_000), events(chain.EventEscrowOpened, chain.EventRequestPaid))},
		{name: "escrow linked", from: carol, body: func() chain.Body { return chain.Release{Escrow: ids["e2"]} }, check: func(t *testing.T, _ *chain.Receipt) {
			r, _, _ := f.ledger.Request(ids["r2"])
			e := f.escrow(ids["e2"])
			if r.Escrow != e.ID || r.Payment != e.ID || e.Payee != addr(bob) || e.Arbiter != addr(carol) || e.Amount != 5_000 || e.Status != chain.EscrowReleased {
				t.Fatalf("request %+v, escrow %+v", r, e)
			}
		}},
		// an accept that cannot pay changes nothing
		{name: "request too much", from: bob, label: "r3", body: req(func(r *chain.PaymentRequest) { r.Amount = 2 * start })},
		{name: "accept overdraft", from: alice, body: accept("r3", "CNY", 2*start), code: "insufficient_funds", check: status("r3", chain.RequestOpen)},
		// decline
		{name: "decline by merchant", from: bob, body: decline("r3", "AC04"), code: "not_payer"},
		{name: "decline bad reason", from: alice, body: decline("r3", "no money!"), code: "malformed"},
		{name: "decline", from: alice, body: decline("r3", "AM04"), check: all(status("r3", chain.RequestDeclined), events(chain.EventRequestDeclined))},
		{name: "accept declined", from: alice, body: accept("r3", "CNY", 2*start), code: "request_not_open"},
		// cancel
		{name: "request to cancel", from: bob, label: "r4", body: req(nil)},
		{name: "cancel by payer", from: alice, body: cancel("r4"), code: "not_authorized"},
		{name: "cancel unknown", from: bob, body: func() chain.Body { return chain.CancelRequest{Request: common.Hash{2}} }, code: "request_not_found"},
		{name: "cancel", from: bob, body: cancel("r4"), check: all(status("r4", chain.RequestCancelled), events(chain.EventRequestCancelled))},
		{name: "accept cancelled", from: alice, body: accept("r4", "CNY", 10_000), code: "request_not_open"},
		{name: "cancel twice", from: bob, body: cancel("r4"), code: "request_not_open"},
		// expiry at the block boundary
		{name: "short request", from: bob, label: "r5", body: req(func(r *chain.PaymentRequest) { r.Expiry = now() + 2_000 })},
		{name: "accept at its expiry", advance: time.Second, from: alice, label: "a5", body: req(func(r *chain.PaymentRequest) { r.Payer = addr(bob) }), check: status("r5", chain.RequestOpen)},
		{name: "accept after expiry", advance: time.Second, from: alice, body: accept("r5", "CNY", 10_000), code: "request_expired",
			check: all(status("r5", chain.RequestExpired), bal(alice, start-15_000, 0))},
		{name: "decline expired", from: alice, body: decline("r5", "AC04"), code: "request_expired"},
		{name: "cancel expired", from: bob, body: cancel("r5"), code: "request_expired"},
	}
	seen := f.runRows(t, rows, ids)
	if err := f.ledger.CheckConsistency(); err != nil {
		t.Fatalf("after the requests: %v", err)
	}
	for _, code := range []*chain.RejectError{chain.ErrRequestNotFound, chain.ErrRequestNotOpen, chain.ErrRequestExpired, chain.ErrAmountMismatch,
		chain.ErrNotPayer, chain.ErrAliasNotFound, chain.ErrAliasTaken, chain.ErrBadExpiry, chain.ErrBadArbiter, chain.ErrNotAuthorized, chain.ErrNotBank} {
		if !seen[code.Code] {
			t.Errorf("no row covers %s", code.Code)
		}
	}

	t.Run("lists", func(t *testing.T) {
		a, b := addr(alice), addr(bob)
		for _, c := range []struct {
			q    chain.RequestQuery
			want []string
		}{
			{chain.RequestQuery{Payer: &a}, []string{"r5", "r4", "r3", "r2", "r1"}},
			{chain.RequestQuery{Payer: &a, Status: chain.RequestPaid}, []string{"r2", "r1"}},
			{chain.RequestQuery{Merchant: &b, Status: chain.RequestExpired}, []string{"r5"}},
			{chain.RequestQuery{Payer: &b}, []string{"a5"}},
			{chain.RequestQuery{Payer: &a, Limit: 2}, []string{"r5", "r4"}},
		} {
			got, err := f.ledger.Requests(c.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%+v: %d requests, want %v", c.q, len(got), c.want)
			}
			for i, label := range c.want {
				if got[i].ID != ids[label] {
					t.Fatalf("%+v: [%d] is %s, want %s", c.q, i, got[i].ID, label)
				}
			}
		}
		if _, err := f.ledger.Requests(chain.RequestQuery{}); err == nil {
			t.Fatal("a list naming neither payer nor merchant was answered")
		}
	})
}

func TestRecordByEndToEnd(t *testing.T) {
	f := newFixture(t, 2, escrowParams)
	hold := f.tx(f.customers[0], chain.Hold{Payee: addr(f.customers[1]), Asset: "CNY", Amount: 5, Expiry: f.now + 3_600_000})
	payout := f.tx(f.customers[1], chain.Withdraw{Asset: "CNY", Amount: 7, Details: []byte("x")})
	f.block(hold, payout)
	e, p, ok, err := f.ledger.RecordByEndToEnd(chain.EscrowEndToEndID(hold.Hash()))
	if err != nil || !ok || p != nil || e.ID != hold.Hash() {
		t.Fatalf("escrow lookup: %v %v %v %v", e, p, ok, err)
	}
	e, p, ok, err = f.ledger.RecordByEndToEnd(chain.PayoutEndToEndID(payout.Hash()))
	if err != nil || !ok || e != nil || p.ID != payout.Hash() {
		t.Fatalf("payout lookup: %v %v %v %v", e, p, ok, err)
	}
	// an escrow's reference does not find a payout, nor an unknown one anything
	for _, ref := range []string{chain.PayoutEndToEndID(hold.Hash()), chain.EscrowEndToEndID(common.Hash{9})} {
		if _, _, ok, err := f.ledger.RecordByEndToEnd(ref); ok || err != nil {
			t.Fatalf("%s found something: %v %v", ref, ok, err)
		}
	}
}

// TestReversalFlagsRecord: a reversal never matches; it flags the record
// with reason "reversal" and changes no balance.
func TestReversalFlagsRecord(t *testing.T) {
	f := newFixture(t, 2, escrowParams)
	hold := f.tx(f.customers[0], chain.Hold{Payee: addr(f.customers[1]), Asset: "CNY", Amount: 500, Expiry: f.now + 3_600_000})
	f.block(hold)
	before := f.balance(f.customers[0], "CNY")
	_, ex := f.block(f.tx(f.banks[0], chain.Feedback{Kind: chain.FeedbackReversal, Record: hold.Hash(), Asset: "CNY", Amount: 500, Ref: "RVSL-1"}))
	if code := ex.Receipts[0].Code; code != "feedback_mismatch" {
		t.Fatalf("reversal: code %q", code)
	}
	e := f.escrow(hold.Hash())
	if !e.Track.Flagged || len(e.Track.Exceptions) != 1 || e.Track.Exceptions[0].Reason != chain.ReasonReversal || e.Track.Exceptions[0].Ref != "RVSL-1" {
		t.Fatalf("track %+v", e.Track)
	}
	if after := f.balance(f.customers[0], "CNY"); after != before {
		t.Fatalf("balance %+v → %+v", before, after)
	}
}
