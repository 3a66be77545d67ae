package ledger

import (
	"crypto/ecdsa"
	"maps"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"pgregory.net/rapid"
)

// TestRequestInvariants runs random interleavings of payment requests (to
// addresses and aliases, direct and escrow), accepts (right and wrong
// amounts, by the payer and by others), declines, cancels, expiries (time
// passing), alias binds, holds, releases and transfers, one block each, and
// checks after every block, besides the escrow invariants (money conserved,
// held and locked itemised, escrows end once):
//   - a request ends exactly once: once ended it never changes again, and no
//     request stays open past its expiry;
//   - an accepted request moved exactly its amount once: a direct accept
//     takes exactly the amount from the payer's total and gives it to the
//     merchant; an escrow accept opens exactly one escrow of the amount,
//     linked to the request, and moves nothing between accounts yet;
//   - a refused accept, decline or cancel changes no balance and no request.
func TestRequestInvariants(t *testing.T) {
	f := newFixture(t, 4, escrowParams)
	customers := f.customers
	banks := f.banks
	genesisState := f.genesisKV()
	aliases := []common.Hash{{0xa1}, {0xa2}}

	rapid.Check(t, func(rt *rapid.T) {
		m := &escrowModel{kv: maps.Clone(genesisState), now: uint64(f.g.Time.UnixMilli()), params: f.g.Params, nonces: map[common.Address]uint64{}, ended: map[common.Hash]*chain.Escrow{}}
		ended := map[common.Hash]chain.Request{}
		var requests, escrows []common.Hash
		pick := func(label string) *ecdsa.PrivateKey { return rapid.SampledFrom(customers).Draw(rt, label) }
		steps := rapid.IntRange(1, 60).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			m.now += rapid.OneOf(rapid.Uint64Range(1, 1000), rapid.Uint64Range(1, 20_000)).Draw(rt, "dt")
			from := pick("from")
			amount := rapid.OneOf(rapid.Uint64Range(1, 5_000), rapid.Uint64Range(0, 200_000)).Draw(rt, "amount")
			someRequest := func() (common.Hash, *chain.Request) {
				if len(requests) == 0 || rapid.IntRange(0, 9).Draw(rt, "ghost") == 0 {
					return common.Hash{byte(i), 0xee}, nil
				}
				id := rapid.SampledFrom(requests).Draw(rt, "request")
				r, _ := NewState(m.kv).Request(id)
				return id, r
			}
			// usually the entitled party sends
			party := func(want common.Address) *ecdsa.PrivateKey {
				if rapid.IntRange(0, 4).Draw(rt, "stranger") > 0 {
					for _, k := range customers {
						if addr(k) == want {
							return k
						}
					}
				}
				return from
			}
			var body chain.Body
			switch rapid.IntRange(0, 10).Draw(rt, "kind") {
			case 0, 1, 2:
				r := chain.PaymentRequest{Asset: "CNY", Amount: amount, Expiry: m.now + rapid.Uint64Range(0, 40_000).Draw(rt, "expiry"), Ref: "O", Mode: chain.SettleDirect}
				if rapid.Bool().Draw(rt, "byAlias") {
					r.PayerAlias = rapid.SampledFrom(aliases).Draw(rt, "alias")
				} else {
					r.Payer = addr(pick("payer"))
				}
				if rapid.Bool().Draw(rt, "escrow") {
					r.Mode, r.HoldFor = chain.SettleEscrow, rapid.Uint64Range(1, 30_000).Draw(rt, "holdFor")
				}
				body = r
			case 3, 4, 5:
				id, r := someRequest()
				a := chain.Accept{Request: id, Asset: "CNY", Amount: amount}
				if r != nil {
					from = party(r.Payer)
					if rapid.IntRange(0, 4).Draw(rt, "wrongAmount") > 0 {
						a.Asset, a.Amount = r.Asset, r.Amount
					}
				}
				body = a
			case 6:
				id, r := someRequest()
				if r != nil {
					from = party(r.Payer)
				}
				body = chain.Decline{Request: id, Reason: "AC04"}
			case 7:
				id, r := someRequest()
				if r != nil {
					from = party(r.Merchant)
				}
				body = chain.CancelRequest{Request: id}
			case 8:
				from = rapid.SampledFrom(banks).Draw(rt, "bank")
				body = chain.BindAlias{Alias: rapid.SampledFrom(aliases).Draw(rt, "alias"), Account: addr(pick("account"))}
			case 9:
				if len(escrows) == 0 {
					body = chain.Hold{Payee: addr(pick("payee")), Asset: "CNY", Amount: amount, Expiry: m.now + 10_000}
					break
				}
				id := rapid.SampledFrom(escrows).Draw(rt, "escrow")
				if e, ok := NewState(m.kv).Escrow(id); ok {
					from = party(e.Payer)
				}
				body = chain.Release{Escrow: id}
			default:
				body = chain.Transfer{To: addr(pick("to")), Asset: "CNY", Amount: amount}
			}
			tx := chain.NewTx(f.g.ChainID, m.nonces[addr(from)], body)
			_ = tx.Sign(from)
			before := m.accounts()
			var reqBefore *chain.Request
			if a, ok := body.(chain.Accept); ok {
				reqBefore, _ = NewState(m.kv).Request(a.Request)
			}
			rec := m.block(rt, tx)
			after := m.accounts()
			checkRequestsEndOnce(rt, m, ended)
			if rec == nil {
				continue
			}
			switch b := body.(type) {
			case chain.PaymentRequest:
				if rec.OK() {
					requests = append(requests, tx.Hash())
				}
			case chain.Accept:
				checkAcceptMoved(rt, m, tx, b, rec, reqBefore, before, after)
				if r, ok := NewState(m.kv).Request(b.Request); ok && rec.OK() && r.Mode == chain.SettleEscrow {
					escrows = append(escrows, tx.Hash())
				}
			case chain.Hold:
				if rec.OK() {
					escrows = append(escrows, tx.Hash())
				}
			}
		}
	})
}

func total(a *chain.Account) uint64 {
	if a == nil {
		return 0
	}
	b := a.Balance("CNY")
	return b.Available + b.Held + b.Locked
}

// checkRequestsEndOnce: an ended request never changes again, and none is
// open past its expiry.
func checkRequestsEndOnce(rt *rapid.T, m *escrowModel, ended map[common.Hash]chain.Request) {
	st := NewState(m.kv)
	for k := range m.kv {
		if k[0] != chain.PrefixRequest {
			continue
		}
		r, _ := st.Request(common.BytesToHash([]byte(k[1:])))
		if prev, ok := ended[r.ID]; ok {
			if *r != prev {
				rt.Fatalf("request %s ended twice: %+v, then %+v", r.ID, prev, *r)
			}
			continue
		}
		switch {
		case r.Status == chain.RequestOpen && r.Expiry < m.now:
			rt.Fatalf("request %s open past its expiry %d at block time %d", r.ID, r.Expiry, m.now)
		case r.Status != chain.RequestOpen:
			if r.EndedHeight != m.height {
				rt.Fatalf("request %s ended at height %d, found at %d", r.ID, r.EndedHeight, m.height)
			}
			ended[r.ID] = *r
		}
	}
}

// checkAcceptMoved: a successful accept moved exactly the request's amount
// once; a refused one moved nothing and left the request as it was.
func checkAcceptMoved(rt *rapid.T, m *escrowModel, tx *chain.Tx, a chain.Accept, rec *chain.Receipt, req *chain.Request, before, after map[common.Address]*chain.Account) {
	st := NewState(m.kv)
	payerAddr, _ := tx.Sender()
	if !rec.OK() {
		for acct, b := range before {
			if total(b) != total(after[acct]) {
				rt.Fatalf("refused accept (%s) changed %s's total %d → %d", rec.Code, acct, total(b), total(after[acct]))
			}
		}
		if req != nil {
			r, _ := st.Request(a.Request)
			if r.Status != req.Status && r.Status != chain.RequestExpired {
				rt.Fatalf("refused accept (%s) moved request %s from %s to %s", rec.Code, a.Request, req.Status, r.Status)
			}
		}
		return
	}
	r, _ := st.Request(a.Request)
	if req == nil || req.Status != chain.RequestOpen || r.Status != chain.RequestPaid || r.Payment != tx.Hash() || payerAddr != r.Payer {
		rt.Fatalf("accept succeeded on %+v, now %+v", req, r)
	}
	if r.Amount != a.Amount || r.Asset != a.Asset {
		rt.Fatalf("accept of %d %s paid request of %d %s", a.Amount, a.Asset, r.Amount, r.Asset)
	}
	payerDelta := int64(total(after[r.Payer])) - int64(total(before[r.Payer]))
	merchantDelta := int64(total(after[r.Merchant])) - int64(total(before[r.Merchant]))
	switch r.Mode {
	case chain.SettleDirect:
		if payerDelta != -int64(r.Amount) || merchantDelta != int64(r.Amount) {
			rt.Fatalf("direct accept of %d moved payer %d, merchant %d", r.Amount, payerDelta, merchantDelta)
		}
	case chain.SettleEscrow:
		e, ok := st.Escrow(tx.Hash())
		if !ok || r.Escrow != e.ID || e.Amount != r.Amount || e.Payer != r.Payer || e.Payee != r.Merchant || e.Status != chain.EscrowOpen {
			rt.Fatalf("escrow accept of %+v left escrow %+v (found %v)", r, e, ok)
		}
		if payerDelta != 0 || merchantDelta != 0 {
			rt.Fatalf("escrow accept moved payer %d, merchant %d before any release", payerDelta, merchantDelta)
		}
	}
}
