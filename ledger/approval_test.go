package ledger

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestSupervisorApproval walks a payment that needs its supervisor through
// every answer: it waits, and only the supervisor's approval moves it; a
// rejected, recalled or lapsed payment never moves; an approval the payer
// cannot afford now fails and the payment keeps waiting.
func TestSupervisorApproval(t *testing.T) {
	w := newPolicyWorld(t, 4)
	elder, fraudster, super, g := w.f.customers[0], w.f.customers[1], w.f.customers[2], w.f.customers[3]
	key := devnet.Key(testSeed, "wk", 0)
	w.do(elder, chain.SetWithdrawalKey{Key: addr(key)})
	w.do(w.f.banks[0], chain.SetPolicy{Account: addr(elder), Policy: chain.Policy{
		Tiers: []chain.Tier{{Asset: "CNY", Small: 100, Normal: 1000}}, Guardians: sortedGuardians(g), Threshold: 1, Supervisor: addr(super)}})
	available := func() uint64 { a, _ := w.state().Account(addr(elder)); return a.Balance("CNY").Available }
	pay := func(amount uint64) common.Hash {
		t.Helper()
		rec, tx, kv := w.try(elder, chain.Transfer{To: addr(fraudster), Asset: "CNY", Amount: amount}, key, g)
		if rec.Code != "" || len(rec.Events) != 1 || rec.Events[0].Kind != chain.EventApprovalRequested {
			t.Fatalf("a large payment without the supervisor: code %q, events %+v; want it waiting", rec.Code, rec.Events)
		}
		if rec.Events[0].Accounts[1] != addr(super) {
			t.Fatalf("the event does not concern the supervisor: %v", rec.Events[0].Accounts)
		}
		w.kv = kv
		return tx.Hash()
	}
	expect := func(name, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: code %q, want %q", name, got, want)
		}
	}
	answer := func(name string, from int, body chain.Body, want string) {
		t.Helper()
		k := []*ecdsa.PrivateKey{elder, fraudster, super}[from]
		rec, _, kv := w.try(k, body)
		expect(name, rec.Code, want)
		w.kv = kv
	}
	start := available()

	approved := pay(5000)
	if available() != start {
		t.Fatal("a waiting payment moved funds")
	}
	answer("the payee approves", 1, chain.ApprovePayment{Payment: approved}, "not_authorized")
	answer("the payer approves", 0, chain.ApprovePayment{Payment: approved}, "not_authorized")
	answer("an unknown payment", 2, chain.ApprovePayment{Payment: common.Hash{7}}, "approval_not_found")
	answer("the supervisor approves", 2, chain.ApprovePayment{Payment: approved}, "")
	if available() != start-5000 {
		t.Fatalf("approved: available %d, want %d", available(), start-5000)
	}
	answer("approved twice", 2, chain.ApprovePayment{Payment: approved}, "approval_not_pending")
	answer("recalled after approval", 0, chain.RecallPayment{Payment: approved}, "approval_not_pending")

	rejected := pay(5000)
	answer("a rejection without a reason", 2, chain.RejectPayment{Payment: rejected}, "malformed")
	answer("the payer rejects", 0, chain.RejectPayment{Payment: rejected, Reason: "FRAUD"}, "not_authorized")
	answer("the supervisor rejects", 2, chain.RejectPayment{Payment: rejected, Reason: "FRAUD"}, "")
	answer("approved after rejection", 2, chain.ApprovePayment{Payment: rejected}, "approval_not_pending")

	recalled := pay(5000)
	answer("the supervisor recalls", 2, chain.RecallPayment{Payment: recalled}, "not_authorized")
	answer("the payer recalls", 0, chain.RecallPayment{Payment: recalled}, "")
	answer("approved after recall", 2, chain.ApprovePayment{Payment: recalled}, "approval_not_pending")

	lapsed := pay(5000)
	w.time += uint64(chain.ApprovalWindow.Milliseconds()) + 1
	answer("approved after the deadline", 2, chain.ApprovePayment{Payment: lapsed}, "approval_lapsed")
	answer("rejected after the deadline", 2, chain.RejectPayment{Payment: lapsed, Reason: "LATE"}, "approval_lapsed")
	answer("recalled after the deadline", 0, chain.RecallPayment{Payment: lapsed}, "approval_lapsed")
	if a, _ := w.state().Approval(lapsed); a.StatusAt(w.time) != chain.ApprovalLapsed {
		t.Fatalf("status %s, want lapsed", a.StatusAt(w.time))
	}

	unaffordable := pay(available() + 1)
	answer("approved beyond the balance", 2, chain.ApprovePayment{Payment: unaffordable}, "insufficient_funds")
	if a, _ := w.state().Approval(unaffordable); a.Status != chain.ApprovalAwaiting {
		t.Fatalf("a failed approval changed the payment to %s", a.Status)
	}
	if available() != start-5000 {
		t.Fatalf("only the approved payment moved: available %d, want %d", available(), start-5000)
	}

	// The supervisor replaced: the old one's approval no longer counts.
	replaced := pay(5000)
	w.do(w.f.banks[0], chain.SetPolicy{Account: addr(elder), Policy: chain.Policy{
		Tiers: []chain.Tier{{Asset: "CNY", Small: 100, Normal: 1000}}, Guardians: sortedGuardians(g), Threshold: 1, Supervisor: addr(fraudster)}})
	answer("the former supervisor approves", 2, chain.ApprovePayment{Payment: replaced}, "not_authorized")
}

// TestPendingApprovals: the committed queries of policies and of payments
// waiting, by supervisor and by payer, through real blocks.
func TestPendingApprovals(t *testing.T) {
	f := newFixture(t, 4)
	elder, payee, super, g := f.customers[0], f.customers[1], f.customers[2], f.customers[3]
	key := devnet.Key(testSeed, "wk", 0)
	policy := chain.Policy{Tiers: []chain.Tier{{Asset: "CNY", Small: 1, Normal: 2}}, Guardians: sortedGuardians(g), Threshold: 1, Supervisor: addr(super)}
	f.block(f.tx(elder, chain.SetWithdrawalKey{Key: addr(key)}), f.tx(f.banks[0], chain.SetPolicy{Account: addr(elder), Policy: policy}))
	if p, err := f.ledger.Policy(addr(elder)); err != nil || !policiesEqual(p, &policy) {
		t.Fatalf("policy %+v, %v", p, err)
	}
	pay := func() *chain.Tx {
		tx := f.tx(elder, chain.Transfer{To: addr(payee), Asset: "CNY", Amount: 10})
		_ = tx.Sign(key)
		_ = tx.Sign(g)
		return tx
	}
	first, second := pay(), pay()
	kinds := func(b *chain.Block, ex *Execution) map[string]int {
		out := map[string]int{}
		for _, n := range chain.BlockNotices(b, ex.Receipts) {
			out[n.Event.Kind]++
		}
		return out
	}
	if k := kinds(f.block(first, second)); k[chain.EventTransfer] != 0 || k[chain.EventApprovalRequested] != 2 {
		t.Fatalf("notices of two waiting transfers: %v; want no transfer, two approval_requested", k)
	}
	pending := func(q ApprovalQuery) []common.Hash {
		t.Helper()
		q.Status = chain.ApprovalAwaiting
		list, err := f.ledger.Approvals(q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []common.Hash
		for _, a := range list {
			ids = append(ids, a.ID)
		}
		return ids
	}
	s, p := addr(super), addr(elder)
	if got := pending(ApprovalQuery{Supervisor: &s}); len(got) != 2 {
		t.Fatalf("pending for the supervisor: %v, want both", got)
	}
	if k := kinds(f.block(f.tx(super, chain.ApprovePayment{Payment: first.Hash()}))); k[chain.EventTransfer] != 1 || k[chain.EventPaymentApproved] != 1 {
		t.Fatalf("notices of an approval: %v; want the transfer and payment_approved", k)
	}
	if got := pending(ApprovalQuery{Payer: &p}); len(got) != 1 || got[0] != second.Hash() {
		t.Fatalf("pending of the payer after one approval: %v, want [%s]", got, second.Hash())
	}
	if a, ok, err := f.ledger.Approval(first.Hash()); err != nil || !ok || a.Status != chain.ApprovalApproved {
		t.Fatalf("approved payment: %+v %v %v", a, ok, err)
	}
	if _, err := f.ledger.Approvals(ApprovalQuery{}); err == nil {
		t.Fatal("a query naming neither payer nor supervisor was answered")
	}
}
