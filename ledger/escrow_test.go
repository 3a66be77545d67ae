package ledger

import (
	"crypto/ecdsa"
	"errors"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// escrowParams are short periods so tests can step past them.
func escrowParams(g *chain.Genesis) {
	g.Params.ProtectionPeriod = chain.Duration(10 * time.Second)
	g.Params.FeedbackDeadline = chain.Duration(time.Minute)
}

// txCo builds a transaction signed by from and co-signed by co.
func (f *fixture) txCo(from, co *ecdsa.PrivateKey, body chain.Body) *chain.Tx {
	tx := f.tx(from, body)
	if err := tx.Sign(co); err != nil {
		f.t.Fatal(err)
	}
	return tx
}

func (f *fixture) escrow(id common.Hash) *chain.Escrow {
	f.t.Helper()
	e, ok, err := f.ledger.Escrow(id)
	if err != nil || !ok {
		f.t.Fatalf("escrow %s: ok=%v err=%v", id, ok, err)
	}
	return e
}

func (f *fixture) balance(k *ecdsa.PrivateKey, asset string) chain.Balance {
	return f.account(addr(k)).Balance(asset)
}

// escrowRow is one step of the escrow specification: a transaction, the code
// its receipt must carry, and what must then hold.
type escrowRow struct {
	name    string
	advance time.Duration // block time moves this much more than the usual second first
	from    *ecdsa.PrivateKey
	cosign  *ecdsa.PrivateKey
	body    func() chain.Body
	code    string
	label   string // remember the transaction's hash (the escrow or payout id) under this name
	check   func(t *testing.T, rec *chain.Receipt)
}

// TestEscrowRules is the escrow, withdrawal and feedback specification: every
// transition and every rejection code, in one story run block by block.
func TestEscrowRules(t *testing.T) {
	f := newFixture(t, 4, escrowParams)
	alice, bob, carol, dave := f.customers[0], f.customers[1], f.customers[2], f.customers[3]
	bankA, bankB := f.banks[0], f.banks[1]
	stranger := devnet.Key(testSeed, "stranger", 0)
	wkey, wrongKey := devnet.Key(testSeed, "withdrawal", 0), devnet.Key(testSeed, "withdrawal", 1)
	ids := map[string]common.Hash{}
	now := func() uint64 { return f.now + 1000 } // the next block's time
	hold := func(to *ecdsa.PrivateKey, amount uint64, expiry time.Duration) func() chain.Body {
		return func() chain.Body {
			return chain.Hold{Payee: addr(to), Asset: "CNY", Amount: amount, Expiry: now() + uint64(expiry.Milliseconds())}
		}
	}
	fb := func(kind chain.FeedbackKind, label, asset string, amount uint64) func() chain.Body {
		return func() chain.Body {
			return chain.Feedback{Kind: kind, Record: ids[label], Asset: asset, Amount: amount, Ref: "REF-" + label}
		}
	}
	status := func(label string, want chain.EscrowStatus, bank string) func(t *testing.T, _ *chain.Receipt) {
		return func(t *testing.T, _ *chain.Receipt) {
			e := f.escrow(ids[label])
			if e.Status != want {
				t.Fatalf("escrow %s is %s, want %s", label, e.Status, want)
			}
			if got := e.Track.Status(f.ledger.Head().Time); got != bank {
				t.Fatalf("escrow %s bank status %s, want %s", label, got, bank)
			}
		}
	}
	bal := func(k *ecdsa.PrivateKey, avail, held, locked uint64) func(t *testing.T, _ *chain.Receipt) {
		return func(t *testing.T, _ *chain.Receipt) {
			t.Helper()
			b := f.balance(k, "CNY")
			if b.Available != avail || b.Held != held || b.Locked != locked {
				t.Fatalf("%s CNY available/held/locked %d/%d/%d, want %d/%d/%d", addr(k), b.Available, b.Held, b.Locked, avail, held, locked)
			}
		}
	}
	event := func(kind string) func(t *testing.T, rec *chain.Receipt) {
		return func(t *testing.T, rec *chain.Receipt) {
			if len(rec.Events) != 1 || rec.Events[0].Kind != kind {
				t.Fatalf("events %+v, want one %s", rec.Events, kind)
			}
		}
	}
	all := func(cs ...func(*testing.T, *chain.Receipt)) func(*testing.T, *chain.Receipt) {
		return func(t *testing.T, r *chain.Receipt) {
			for _, c := range cs {
				c(t, r)
			}
		}
	}
	const start = 100_000 // 1000.00 CNY

	rows := []escrowRow{
		// hold
		{name: "hold", from: alice, body: hold(bob, 10_000, time.Hour), label: "e1",
			check: all(bal(alice, start-10_000, 10_000, 0), status("e1", chain.EscrowOpen, chain.BankWaiting), event(chain.EventEscrowOpened))},
		{name: "hold zero", from: alice, body: hold(bob, 0, time.Hour), code: "zero_amount"},
		{name: "hold unknown asset", from: alice, body: func() chain.Body { return chain.Hold{Payee: addr(bob), Asset: "EUR", Amount: 1, Expiry: now() + 1000} }, code: "unknown_asset"},
		{name: "hold to self", from: alice, body: hold(alice, 1, time.Hour), code: "self_transfer"},
		{name: "hold to unknown payee", from: alice, body: hold(stranger, 1, time.Hour), code: "unknown_account"},
		{name: "hold with payee as arbiter", from: alice, body: func() chain.Body {
			return chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 1, Expiry: now() + 1000, Arbiter: addr(bob)}
		}, code: "bad_arbiter"},
		{name: "hold with unknown arbiter", from: alice, body: func() chain.Body {
			return chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 1, Expiry: now() + 1000, Arbiter: addr(stranger)}
		}, code: "unknown_account"},
		{name: "hold expiring at block time", from: alice, body: hold(bob, 1, 0), code: "bad_expiry"},
		{name: "hold expiring too late", from: alice, body: hold(bob, 1, chain.MaxEscrowLifetime+time.Second), code: "bad_expiry"},
		{name: "hold overdraft", from: alice, body: hold(bob, start, time.Hour), code: "insufficient_funds"},
		// release and refund refusals
		{name: "release by payee", from: bob, body: func() chain.Body { return chain.Release{Escrow: ids["e1"]} }, code: "not_authorized"},
		{name: "release more than held", from: alice, body: func() chain.Body { return chain.Release{Escrow: ids["e1"], Amount: 10_001} }, code: "amount_exceeds_hold"},
		{name: "release unknown escrow", from: alice, body: func() chain.Body { return chain.Release{Escrow: common.Hash{1}} }, code: "escrow_not_found"},
		{name: "refund by payer", from: alice, body: func() chain.Body { return chain.Refund{Escrow: ids["e1"]} }, code: "not_authorized"},
		{name: "refund unknown escrow", from: bob, body: func() chain.Body { return chain.Refund{Escrow: common.Hash{1}} }, code: "escrow_not_found"},
		// feedback: who may report
		{name: "feedback by a customer", from: alice, body: fb(chain.FeedbackHoldPlaced, "e1", "CNY", 10_000), code: "not_bank"},
		{name: "feedback by another bank", from: bankB, body: fb(chain.FeedbackHoldPlaced, "e1", "CNY", 10_000), code: "not_authorized",
			check: status("e1", chain.EscrowOpen, chain.BankWaiting)},
		{name: "feedback without reference", from: bankA, body: func() chain.Body {
			return chain.Feedback{Kind: chain.FeedbackHoldPlaced, Record: ids["e1"], Asset: "CNY", Amount: 10_000}
		}, code: "malformed"},
		{name: "feedback of unknown kind", from: bankA, body: func() chain.Body {
			return chain.Feedback{Kind: 99, Record: ids["e1"], Asset: "CNY", Amount: 10_000, Ref: "x"}
		}, code: "malformed"},
		// feedback: match
		{name: "hold_placed matches", from: bankA, body: fb(chain.FeedbackHoldPlaced, "e1", "CNY", 10_000),
			check: all(status("e1", chain.EscrowOpen, chain.BankMatched), event(chain.EventFeedbackMatched), bal(alice, start-10_000, 10_000, 0))},
		// release: partial, to the payee's locked balance
		{name: "partial release", from: alice, body: func() chain.Body { return chain.Release{Escrow: ids["e1"], Amount: 6_000} },
			check: all(bal(alice, start-6_000, 0, 0), bal(bob, start, 0, 6_000), status("e1", chain.EscrowReleased, chain.BankWaiting), event(chain.EventEscrowReleased),
				func(t *testing.T, _ *chain.Receipt) {
					e := f.escrow(ids["e1"])
					if e.Released != 6_000 || e.Returned != 4_000 || e.UnlockAt != chain.UnlockTime(f.ledger.Head().Time, 10_000) {
						t.Fatalf("released %d returned %d unlock %d", e.Released, e.Returned, e.UnlockAt)
					}
					locks := f.account(addr(bob)).Locks
					if len(locks) != 1 || locks[0].Amount != 6_000 || locks[0].UnlockAt != e.UnlockAt {
						t.Fatalf("bob's locks %+v", locks)
					}
				})},
		{name: "release twice", from: alice, body: func() chain.Body { return chain.Release{Escrow: ids["e1"]} }, code: "escrow_not_open"},
		{name: "refund after release", from: bob, body: func() chain.Body { return chain.Refund{Escrow: ids["e1"]} }, code: "escrow_not_open"},
		{name: "spend locked funds", from: bob, body: func() chain.Body { return chain.Transfer{To: addr(carol), Asset: "CNY", Amount: start + 1} }, code: "protection_period"},
		{name: "spend more than available and locked", from: bob, body: func() chain.Body { return chain.Transfer{To: addr(carol), Asset: "CNY", Amount: start + 6_001} }, code: "insufficient_funds"},
		{name: "debit_executed matches", from: bankA, body: fb(chain.FeedbackDebitExecuted, "e1", "CNY", 6_000), check: status("e1", chain.EscrowReleased, chain.BankWaiting)},
		{name: "hold_released matches", from: bankA, body: fb(chain.FeedbackHoldReleased, "e1", "CNY", 4_000), check: status("e1", chain.EscrowReleased, chain.BankMatched)},
		{name: "spend after the protection period", advance: 11 * time.Second, from: bob,
			body:  func() chain.Body { return chain.Transfer{To: addr(carol), Asset: "CNY", Amount: start + 6_000} },
			check: bal(bob, 0, 0, 0)},
		// arbiter
		{name: "hold with arbiter", from: alice, label: "e3", body: func() chain.Body {
			return chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 1_000, Expiry: now() + 60_000, Arbiter: addr(dave)}
		}},
		{name: "arbiter refunds", from: dave, body: func() chain.Body { return chain.Refund{Escrow: ids["e3"]} },
			check: all(status("e3", chain.EscrowRefunded, chain.BankWaiting), event(chain.EventEscrowRefunded), bal(alice, start-6_000, 0, 0))},
		{name: "hold_placed for e3", from: bankA, body: fb(chain.FeedbackHoldPlaced, "e3", "CNY", 1_000)},
		{name: "refund_executed matches", from: bankA, body: fb(chain.FeedbackRefundExecuted, "e3", "CNY", 1_000), check: status("e3", chain.EscrowRefunded, chain.BankMatched)},
		{name: "hold with arbiter again", from: alice, label: "e4", body: func() chain.Body {
			return chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 1_000, Expiry: now() + 60_000, Arbiter: addr(dave)}
		}},
		{name: "arbiter releases", from: dave, body: func() chain.Body { return chain.Release{Escrow: ids["e4"]} },
			check: all(status("e4", chain.EscrowReleased, chain.BankWaiting), bal(bob, 0, 0, 1_000))},
		{name: "payee refunds", from: alice, label: "e5", body: hold(bob, 500, time.Hour)},
		{name: "refund by payee", from: bob, body: func() chain.Body { return chain.Refund{Escrow: ids["e5"]} }, check: status("e5", chain.EscrowRefunded, chain.BankWaiting)},
		// expiry
		{name: "hold expiring soon", from: alice, label: "e6", body: hold(bob, 700, 1500*time.Millisecond), check: bal(alice, start-7_000-700, 700, 0)},
		{name: "expired before the block's transactions run", advance: time.Second, from: alice,
			body: func() chain.Body { return chain.Release{Escrow: ids["e6"]} }, code: "escrow_not_open",
			check: all(status("e6", chain.EscrowExpired, chain.BankWaiting), bal(alice, start-7_000, 0, 0))},
		{name: "hold_placed for e6", from: bankA, body: fb(chain.FeedbackHoldPlaced, "e6", "CNY", 700)},
		{name: "hold_released matches the expiry", from: bankA, body: fb(chain.FeedbackHoldReleased, "e6", "CNY", 700), check: status("e6", chain.EscrowExpired, chain.BankMatched)},
		// mismatches flag the record and never move funds
		{name: "hold for mismatches", from: alice, label: "e2", body: hold(bob, 5_000, time.Hour)},
		{name: "feedback with the wrong asset", from: bankA, body: fb(chain.FeedbackHoldPlaced, "e2", "USD", 5_000), code: "feedback_mismatch",
			check: all(status("e2", chain.EscrowOpen, chain.BankMismatch), event(chain.EventFeedbackException), bal(alice, start-12_000, 5_000, 0),
				func(t *testing.T, _ *chain.Receipt) {
					ex := f.escrow(ids["e2"]).Track.Exceptions
					if len(ex) != 1 || ex[0].Reason != chain.ReasonAssetMismatch || ex[0].Ref != "REF-e2" {
						t.Fatalf("exceptions %+v", ex)
					}
				})},
		{name: "feedback with the wrong amount", from: bankA, body: fb(chain.FeedbackHoldPlaced, "e2", "CNY", 4_999), code: "feedback_mismatch",
			check: func(t *testing.T, _ *chain.Receipt) {
				if ex := f.escrow(ids["e2"]).Track.Exceptions; len(ex) != 2 || ex[1].Reason != chain.ReasonAmountMismatch {
					t.Fatalf("exceptions %+v", ex)
				}
			}},
		{name: "feedback out of order", from: bankA, body: fb(chain.FeedbackDebitExecuted, "e2", "CNY", 5_000), code: "feedback_mismatch",
			check: func(t *testing.T, rec *chain.Receipt) {
				if rec.Events[0].Reason != chain.ReasonUnexpectedStep {
					t.Fatalf("reason %q", rec.Events[0].Reason)
				}
			}},
		{name: "feedback for no record", from: bankA, body: func() chain.Body {
			return chain.Feedback{Kind: chain.FeedbackHoldPlaced, Record: common.Hash{9}, Asset: "CNY", Amount: 1, Ref: "ghost"}
		}, code: "feedback_mismatch", check: func(t *testing.T, rec *chain.Receipt) {
			if rec.Events[0].Reason != chain.ReasonRecordNotFound {
				t.Fatalf("reason %q", rec.Events[0].Reason)
			}
		}},
		{name: "a flagged record still matches its next step", from: bankA, body: fb(chain.FeedbackHoldPlaced, "e2", "CNY", 5_000),
			check: status("e2", chain.EscrowOpen, chain.BankMismatch)},
		// withdrawal key and withdraw
		{name: "withdrawal key equal to the account", from: carol, body: func() chain.Body { return chain.SetWithdrawalKey{Key: addr(carol)} }, code: "malformed"},
		{name: "set withdrawal key", from: carol, body: func() chain.Body { return chain.SetWithdrawalKey{Key: addr(wkey)} }, check: event(chain.EventWithdrawalKeySet)},
		{name: "change withdrawal key without the old one", from: carol, body: func() chain.Body { return chain.SetWithdrawalKey{Key: addr(wrongKey)} }, code: "withdrawal_key_required"},
		{name: "withdraw without the withdrawal key", from: carol, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 100, Details: sealedDetails} }, code: "withdrawal_key_required"},
		{name: "withdraw co-signed by another key", from: carol, cosign: wrongKey, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 100, Details: sealedDetails} }, code: "not_authorized"},
		{name: "withdraw zero", from: carol, cosign: wkey, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Details: sealedDetails} }, code: "zero_amount"},
		{name: "withdraw unknown asset", from: carol, cosign: wkey, body: func() chain.Body { return chain.Withdraw{Asset: "EUR", Amount: 1, Details: sealedDetails} }, code: "unknown_asset"},
		{name: "withdraw without details", from: carol, cosign: wkey, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 1} }, code: "malformed"},
		{name: "withdraw with plaintext details", from: carol, cosign: wkey, body: func() chain.Body {
			return chain.Withdraw{Asset: "CNY", Amount: 1, Details: []byte("IBAN DE89 3704 0044 0532 0130 00, plain for all to read, and long enough to pass for ciphertext by length alone")}
		}, code: "details_not_encrypted"},
		{name: "withdraw overdraft", from: carol, cosign: wkey, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 10 * start, Details: sealedDetails} }, code: "insufficient_funds"},
		{name: "withdraw", from: carol, cosign: wkey, label: "p1", body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 2_500, Details: sealedDetails} },
			check: all(event(chain.EventWithdrawal), func(t *testing.T, _ *chain.Receipt) {
				p, ok, _ := f.ledger.Payout(ids["p1"])
				if !ok || p.Amount != 2_500 || p.Account != addr(carol) || p.Track.Bank != addr(bankA) || p.Track.Status(f.ledger.Head().Time) != chain.BankWaiting {
					t.Fatalf("payout %+v", p)
				}
				info, _ := f.ledger.State().Asset("CNY")
				if info.Burned != 2_500 {
					t.Fatalf("burned %d", info.Burned)
				}
			})},
		{name: "withdraw co-signed when no key is registered", from: dave, cosign: wkey, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 1, Details: sealedDetails} }, code: "not_authorized"},
		{name: "withdraw with no key registered", from: dave, body: func() chain.Body { return chain.Withdraw{Asset: "CNY", Amount: 1, Details: sealedDetails} }},
		{name: "payout_executed by another bank", from: bankB, body: fb(chain.FeedbackPayoutExecuted, "p1", "CNY", 2_500), code: "not_authorized"},
		{name: "payout_executed matches", from: bankA, body: fb(chain.FeedbackPayoutExecuted, "p1", "CNY", 2_500), check: func(t *testing.T, _ *chain.Receipt) {
			p, _, _ := f.ledger.Payout(ids["p1"])
			if p.Track.Status(f.ledger.Head().Time) != chain.BankMatched || p.Track.Steps[0].Ref != "REF-p1" {
				t.Fatalf("payout track %+v", p.Track)
			}
		}},
		{name: "change withdrawal key with the old one", from: carol, cosign: wkey, body: func() chain.Body { return chain.SetWithdrawalKey{Key: addr(wrongKey)} }},
		// overdue: e2's next step (debit after release) is never reported
		{name: "release e2", from: alice, body: func() chain.Body { return chain.Release{Escrow: ids["e2"]} }},
		{name: "hold left waiting", from: alice, label: "e7", body: hold(bob, 100, time.Hour)},
		{name: "waiting becomes overdue after the deadline", advance: time.Minute, from: alice, body: hold(bob, 1, time.Hour),
			check: status("e7", chain.EscrowOpen, chain.BankOverdue)},
	}
	seen := f.runRows(t, rows, ids)
	for _, code := range []*chain.RejectError{chain.ErrEscrowNotFound, chain.ErrEscrowNotOpen, chain.ErrAmountExceedsHold, chain.ErrBadExpiry, chain.ErrBadArbiter,
		chain.ErrProtectionPeriod, chain.ErrWithdrawalKeyRequired, chain.ErrFeedbackMismatch, chain.ErrNotAuthorized, chain.ErrNotBank} {
		if !seen[code.Code] {
			t.Errorf("no row covers %s", code.Code)
		}
	}
}

// runRows runs specification rows block by block, each in its own block,
// and returns the codes they covered. ids collects labelled hashes.
func (f *fixture) runRows(t *testing.T, rows []escrowRow, ids map[string]common.Hash) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, row := range rows {
		if !t.Run(row.name, func(t *testing.T) {
			f.now += uint64(row.advance.Milliseconds())
			var tx *chain.Tx
			if row.cosign != nil {
				tx = f.txCo(row.from, row.cosign, row.body())
			} else {
				tx = f.tx(row.from, row.body())
			}
			before := f.snapshot()
			_, ex := f.block(tx)
			if len(ex.Receipts) == 0 || ex.Receipts[0].TxHash != tx.Hash() {
				t.Fatalf("tx not in block; dropped %v", ex.Dropped)
			}
			rec := ex.Receipts[0]
			if rec.Code != row.code {
				t.Fatalf("code %q, want %q", rec.Code, row.code)
			}
			seen[rec.Code] = true
			if row.label != "" {
				ids[row.label] = tx.Hash()
			}
			if row.code != "" && row.code != "feedback_mismatch" && len(rec.Events) != 0 {
				t.Fatalf("a rejected tx emitted %+v", rec.Events)
			}
			if row.code != "" {
				checkOnlyNonceChanged(t, before, f.ledger.State(), ex, addr(row.from), row.code)
			}
			if row.check != nil {
				row.check(t, rec)
			}
		}) {
			t.FailNow() // later rows build on earlier ones
		}
	}
	return seen
}

// checkOnlyNonceChanged asserts a rejection changed nothing but the sender's
// nonce (and, for feedback_mismatch, the flagged record: never a balance).
func checkOnlyNonceChanged(t *testing.T, before map[common.Address]*chain.Account, after *State, ex *Execution, sender common.Address, code string) {
	t.Helper()
	if n := len(ex.Receipts); ex.Receipts[n-1].IsBlockReceipt() {
		return // the chain itself changed state at the block's start
	}
	for _, c := range ex.changes {
		switch c.Key[0] {
		case chain.PrefixValidator, chain.PrefixMeta:
			continue
		case chain.PrefixAccount:
			a := common.BytesToAddress(c.Key[1:])
			b, n := before[a], mustAccount(t, after, a)
			if a == sender {
				b.Nonce++
			}
			if b.Nonce != n.Nonce || len(b.Balances) != len(n.Balances) {
				t.Fatalf("rejected tx (%s) changed account %s", code, a)
			}
			for i := range b.Balances {
				if b.Balances[i] != n.Balances[i] {
					t.Fatalf("rejected tx (%s) changed %s's balance %+v → %+v", code, a, b.Balances[i], n.Balances[i])
				}
			}
		case chain.PrefixEscrow, chain.PrefixPayout:
			if code != "feedback_mismatch" {
				t.Fatalf("rejected tx (%s) changed record %x", code, c.Key)
			}
		default:
			t.Fatalf("rejected tx (%s) wrote %x", code, c.Key)
		}
	}
}

// snapshot reads every fixture account now.
func (f *fixture) snapshot() map[common.Address]*chain.Account {
	out := map[common.Address]*chain.Account{}
	st := f.ledger.State()
	for _, k := range append(append([]*ecdsa.PrivateKey{}, f.banks...), f.customers...) {
		if a, ok := st.Account(addr(k)); ok {
			out[addr(k)] = a
		}
	}
	return out
}

func mustAccount(t *testing.T, st *State, a common.Address) *chain.Account {
	acct, ok := st.Account(a)
	if !ok {
		t.Fatalf("account %s missing", a)
	}
	return acct
}

// TestRequireHoldFeedback: with the genesis rule on, a release waits for the
// payer's bank to confirm the hold.
func TestRequireHoldFeedback(t *testing.T) {
	f := newFixture(t, 2, escrowParams, func(g *chain.Genesis) { g.Params.RequireHoldFeedback = true })
	alice, bob, bankA := f.customers[0], f.customers[1], f.banks[0]
	hold := f.tx(alice, chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 300, Expiry: f.now + 60_000})
	f.block(hold)
	_, ex := f.block(f.tx(alice, chain.Release{Escrow: hold.Hash()}))
	if got := ex.Receipts[0].Code; got != "hold_feedback_required" {
		t.Fatalf("release before hold_placed: %q", got)
	}
	_, ex = f.block(f.tx(bankA, chain.Feedback{Kind: chain.FeedbackHoldPlaced, Record: hold.Hash(), Asset: "CNY", Amount: 300, Ref: "A"}),
		f.tx(alice, chain.Release{Escrow: hold.Hash()}))
	if ex.Receipts[0].Code != "" || ex.Receipts[1].Code != "" {
		t.Fatalf("codes %q %q", ex.Receipts[0].Code, ex.Receipts[1].Code)
	}
	if e := f.escrow(hold.Hash()); e.Status != chain.EscrowReleased {
		t.Fatalf("status %s", e.Status)
	}
}

// TestExpiryBoundary: an escrow expiring exactly at a block's time is still
// open in that block; the first block after it voids it, in the block's own
// receipt.
func TestExpiryBoundary(t *testing.T) {
	f := newFixture(t, 2, escrowParams)
	alice, bob := f.customers[0], f.customers[1]
	expiry := f.now + 3000
	h := f.tx(alice, chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 300, Expiry: expiry})
	f.block(h) // time now+1000
	f.now = expiry - 1000
	_, ex := f.block() // time == expiry
	if len(ex.Receipts) != 0 || f.escrow(h.Hash()).Status != chain.EscrowOpen {
		t.Fatalf("voided at its expiry time: receipts %d status %s", len(ex.Receipts), f.escrow(h.Hash()).Status)
	}
	b, ex := f.block() // time > expiry
	if len(ex.Receipts) != 1 || !ex.Receipts[0].IsBlockReceipt() {
		t.Fatalf("want the block's own receipt, have %+v", ex.Receipts)
	}
	evs := ex.Receipts[0].Events
	if len(evs) != 1 || evs[0].Kind != chain.EventEscrowExpired || evs[0].Record != h.Hash() {
		t.Fatalf("events %+v", evs)
	}
	if f.escrow(h.Hash()).Status != chain.EscrowExpired || f.escrow(h.Hash()).EndedAt != b.Header.Time {
		t.Fatalf("escrow %+v", f.escrow(h.Hash()))
	}
	stored, err := f.ledger.DB().Receipts(b.Height())
	if err != nil || len(stored) != 1 || stored[0].Events[0].Kind != chain.EventEscrowExpired {
		t.Fatalf("stored receipts %+v %v", stored, err)
	}
	notices := chain.BlockNotices(b, stored)
	if len(notices) != 1 || notices[0].ID != "" && notices[0].Event.Kind != chain.EventEscrowExpired {
		t.Fatalf("notices %+v", notices)
	}
	if err := f.ledger.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}

// TestWithdrawEnvelope: no signer signs twice, and a set_withdrawal_key
// takes no co-signer beside the key. (A withdraw, like every debit, may
// carry the co-signers a policy needs: TestPolicyTiers.)
func TestWithdrawEnvelope(t *testing.T) {
	f := newFixture(t, 2)
	alice, bob := f.customers[0], f.customers[1]
	w := chain.Withdraw{Asset: "CNY", Amount: 1, Details: sealedDetails}
	three := f.txCo(alice, bob, chain.SetWithdrawalKey{Key: addr(bob)})
	_ = three.Sign(devnet.Key(testSeed, "x", 0))
	twice := chain.NewTx(f.g.ChainID, 0, w)
	_ = twice.Sign(alice)
	_ = twice.Sign(alice)
	coTwice := f.txCo(alice, bob, w)
	_ = coTwice.Sign(bob)
	for name, tx := range map[string]*chain.Tx{"three signatures": three, "sender twice": twice, "co-signer twice": coTwice} {
		if _, err := ApplyTx(f.ledger.State(), f.g.ChainID, tx); !errors.Is(err, chain.ErrBadSignature) {
			t.Errorf("%s: %v, want bad_signature", name, err)
		}
	}
}

// TestBankKeyRecorded: a bank without a genesis public key gets it recorded
// from its first transaction.
func TestBankKeyRecorded(t *testing.T) {
	f := newFixture(t, 2, func(g *chain.Genesis) { g.Banks[1].PubKey = nil })
	bankB := f.banks[1]
	if b, _, _ := f.ledger.Bank(addr(bankB)); len(b.PubKey) != 0 {
		t.Fatal("key known before any transaction")
	}
	f.block(f.tx(bankB, chain.RegisterAccount{Account: addr(devnet.Key(testSeed, "new", 0))}))
	b, _, _ := f.ledger.Bank(addr(bankB))
	pub, err := crypto.UnmarshalPubkey(b.PubKey)
	if err != nil || addr(bankB) != pubAddr(pub) {
		t.Fatalf("recorded key %x: %v", b.PubKey, err)
	}
}

// TestLocksStayFew: however many payments a payee receives within one
// protection period, its locks stay within about LockBuckets per asset,
// and every lock unlocks no earlier than its release time + the period.
func TestLocksStayFew(t *testing.T) {
	f := newFixture(t, 2, func(g *chain.Genesis) { g.Params.ProtectionPeriod = chain.Duration(64 * time.Second) })
	alice, bob := f.customers[0], f.customers[1]
	for i := 0; i < 150; i++ {
		h := f.tx(alice, chain.Hold{Payee: addr(bob), Asset: "CNY", Amount: 1, Expiry: f.now + 3_600_000})
		r := f.tx(alice, chain.Release{Escrow: h.Hash()})
		_, ex := f.block(h, r)
		if ex.Receipts[1].Code != "" {
			t.Fatal(ex.Receipts[1].Code)
		}
		if e := f.escrow(h.Hash()); e.UnlockAt < f.ledger.Head().Time+64_000 {
			t.Fatalf("unlocks at %d, released at %d", e.UnlockAt, f.ledger.Head().Time)
		}
	}
	acct := f.account(addr(bob))
	if n := len(acct.Locks); n > chain.LockBuckets+1 {
		t.Fatalf("%d locks", n)
	}
	var sum uint64
	for _, l := range acct.Locks {
		sum += l.Amount
	}
	if sum != acct.Balance("CNY").Locked {
		t.Fatalf("locks sum %d, locked %d", sum, acct.Balance("CNY").Locked)
	}
}
