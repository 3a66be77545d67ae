package wallet

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// final submits through do, seals, and waits for a final OK receipt.
func (f *fixture) final(t *testing.T) func(*chain.Tx, error) *chain.Tx {
	return func(tx *chain.Tx, err error) *chain.Tx {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		f.sealSoon()
		got, err := f.c.WaitFinal(f.ctx, tx.Hash())
		if err != nil {
			t.Fatalf("%s: %v", tx.Type(), err)
		}
		if !got.Receipt.OK {
			t.Fatalf("%s refused: %s", tx.Type(), got.Receipt.Code)
		}
		return tx
	}
}

// TestRequestFlow: the bank binds alice's phone number; bob requests by
// alias; alice sees the request waiting and accepts it into escrow; both
// see it paid, linked to the escrow by id and end-to-end reference.
func TestRequestFlow(t *testing.T) {
	f := newFixture(t)
	alice, bob := nodetest.Addr(f.keys.Alice), nodetest.Addr(f.keys.Bob)
	head, err := f.c.BlockByNumber(f.ctx, rpc.Latest, false)
	if err != nil {
		t.Fatal(err)
	}
	inAnHour := head.Time + 3_600_000 // the test chain's clock is not this machine's
	const phone = "+86 138 0013 8000"
	f.final(t)(f.c.BindAlias(f.ctx, f.keys.Bank, alice, phone))
	res, err := f.c.ResolveAlias(f.ctx, "+8613800138000")
	if err != nil || res.Account != alice || res.Bank != nodetest.Addr(f.keys.Bank) || res.Height == 0 {
		t.Fatalf("resolve: %+v %v", res, err)
	}
	if _, err := f.c.ResolveAlias(f.ctx, "+8613900139000"); !IsCode(err, rpc.ErrCodeAliasNotFound) {
		t.Fatalf("unbound alias: %v", err)
	}
	if _, err := f.c.ResolveAlias(f.ctx, "13800138000"); !IsCode(err, rpc.ErrCodeBadAlias) {
		t.Fatalf("alias without country code: %v", err)
	}

	req := f.final(t)(f.c.Request(f.ctx, f.keys.Bob, phone, "CNY", "12.50", RequestOptions{ExpiryAt: inAnHour, Ref: "ORDER-7", Escrow: true}))
	waiting, err := f.c.PaymentRequests(f.ctx, rpc.RequestList{Payer: &alice, Status: "open"})
	if err != nil || len(waiting) != 1 || waiting[0].ID != req.Hash() || waiting[0].Amount != "12.50" || waiting[0].Mode != "escrow" || waiting[0].Ref != "ORDER-7" {
		t.Fatalf("alice's waiting requests: %+v %v", waiting, err)
	}
	acc := f.final(t)(f.c.Accept(f.ctx, f.keys.Alice, req.Hash()))
	got, err := f.c.PaymentRequest(f.ctx, req.Hash())
	if err != nil || got.Status != "paid" || got.Escrow == nil || *got.Escrow != acc.Hash() || got.EndToEndID != chain.EscrowEndToEndID(acc.Hash()) {
		t.Fatalf("paid request: %+v %v", got, err)
	}
	e, err := f.c.Escrow(f.ctx, acc.Hash())
	if err != nil || e.Payee != bob || e.AmountUnits != 1250 || e.EndToEndID != got.EndToEndID {
		t.Fatalf("escrow: %+v %v", e, err)
	}
	mine, err := f.c.PaymentRequests(f.ctx, rpc.RequestList{Merchant: &bob})
	if err != nil || len(mine) != 1 || mine[0].Status != "paid" {
		t.Fatalf("bob's requests: %+v %v", mine, err)
	}
	if left, _ := f.c.PaymentRequests(f.ctx, rpc.RequestList{Payer: &alice, Status: "open"}); len(left) != 0 {
		t.Fatalf("still waiting: %+v", left)
	}

	// decline and cancel
	r2 := f.final(t)(f.c.Request(f.ctx, f.keys.Bob, alice.Hex(), "CNY", "1", RequestOptions{ExpiryAt: inAnHour}))
	f.final(t)(f.c.Decline(f.ctx, f.keys.Alice, r2.Hash(), "AM04"))
	if got, _ := f.c.PaymentRequest(f.ctx, r2.Hash()); got.Status != "declined" || got.Reason != "AM04" {
		t.Fatalf("declined: %+v", got)
	}
	r3 := f.final(t)(f.c.Request(f.ctx, f.keys.Bob, alice.Hex(), "CNY", "1", RequestOptions{ExpiryAt: inAnHour}))
	f.final(t)(f.c.CancelRequest(f.ctx, f.keys.Bob, r3.Hash()))
	tx, err := f.c.Accept(f.ctx, f.keys.Alice, r3.Hash())
	if err != nil {
		t.Fatal(err)
	}
	f.sealSoon()
	if _, err := f.c.WaitFinal(f.ctx, tx.Hash()); !IsCode(err, "request_not_open") {
		t.Fatalf("accept cancelled: %v", err)
	}
	f.final(t)(f.c.UnbindAlias(f.ctx, f.keys.Bank, phone))
	if _, err := f.c.ResolveAlias(f.ctx, phone); !IsCode(err, rpc.ErrCodeAliasNotFound) {
		t.Fatalf("unbound: %v", err)
	}
	if _, err := f.c.PaymentRequest(f.ctx, common.Hash{1}); !IsCode(err, rpc.ErrCodeRequestNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
}

// TestRequestTxBodies: the request and alias transactions render their
// bodies in sov_getTransaction.
func TestRequestTxBodies(t *testing.T) {
	f := newFixture(t)
	alice := nodetest.Addr(f.keys.Alice)
	bind := f.final(t)(f.c.BindAlias(f.ctx, f.keys.Bank, alice, "a@example.com"))
	head, _ := f.c.BlockByNumber(f.ctx, rpc.Latest, false)
	req := f.final(t)(f.c.Request(f.ctx, f.keys.Bob, "a@example.com", "CNY", "2.00", RequestOptions{ExpiryAt: head.Time + 60_000, Ref: "R", Escrow: true}))
	dec := f.final(t)(f.c.Decline(f.ctx, f.keys.Alice, req.Hash(), "AC04"))
	for _, c := range []struct {
		tx    *chain.Tx
		check func(b *rpc.TxBody) bool
	}{
		{bind, func(b *rpc.TxBody) bool { return b.Alias != nil && *b.Account == alice }},
		{req, func(b *rpc.TxBody) bool {
			return b.Alias != nil && b.Amount == "2.00" && b.Mode == "escrow" && b.HoldForMs > 0 && b.Ref == "R"
		}},
		{dec, func(b *rpc.TxBody) bool { return *b.Request == req.Hash() && b.Reason == "AC04" }},
	} {
		got, err := f.c.Transaction(f.ctx, c.tx.Hash())
		if err != nil || got.Body == nil || !c.check(got.Body) {
			t.Fatalf("%s body %+v (%v)", c.tx.Type(), got.Body, err)
		}
	}
}
