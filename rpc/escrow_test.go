package rpc_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// escrowStub is a fixed ledger of one escrow (released, waiting for the
// debit feedback, which is due before head time: overdue).
type escrowStub struct{ e *chain.Escrow }

func (s escrowStub) Head() *chain.Header { return &chain.Header{Height: 9, Time: 50_000} }
func (s escrowStub) Escrow(id common.Hash) (*chain.Escrow, bool, error) {
	return s.e, id == s.e.ID, nil
}
func (s escrowStub) Escrows(q chain.EscrowQuery) ([]*chain.Escrow, error) {
	return []*chain.Escrow{s.e}, nil
}
func (s escrowStub) Payout(common.Hash) (*chain.Payout, bool, error) { return nil, false, nil }
func (s escrowStub) BankRecords(common.Address, uint64, uint64) ([]chain.BankRecord, error) {
	return []chain.BankRecord{{Height: 3, Escrow: s.e}}, nil
}
func (s escrowStub) Reconcile(bank common.Address, from, to uint64) (*chain.Reconciliation, error) {
	return &chain.Reconciliation{Bank: bank, From: from, To: to, Height: 9, Time: 50_000, Overdue: []chain.BankRecord{{Height: 3, Escrow: s.e}}}, nil
}
func (s escrowStub) Bank(a common.Address) (*chain.BankInfo, bool, error) {
	return &chain.BankInfo{Address: a, Name: "B", PubKey: []byte{4, 1}}, true, nil
}

// escrowBackend serves the stub's escrow queries beside a real chain.
type escrowBackend struct {
	rpc.TxSubmitter
	rpc.ChainReader
	rpc.EscrowReader
	rpc.RequestReader
	rpc.EvidenceReader
	rpc.PolicyReader
	rpc.GovernanceReader
}

func TestEscrowMethods(t *testing.T) {
	c, keys := nodetest.New()
	e := &chain.Escrow{ID: common.Hash{7}, Payer: nodetest.Addr(keys.Alice), Payee: nodetest.Addr(keys.Bob), Asset: "CNY", Amount: 1234,
		Expiry: 90_000, Status: chain.EscrowReleased, Released: 1000, Returned: 234, UnlockAt: 80_000, EndedHeight: 4,
		Track: chain.BankTrack{Bank: nodetest.Addr(keys.Bank), Matched: 1, Steps: []chain.Step{
			{Kind: chain.FeedbackHoldPlaced, Amount: 1234, Due: 20_000, Ref: "R1", MatchedAt: 15_000},
			{Kind: chain.FeedbackDebitExecuted, Amount: 1000, Due: 40_000},
		}}}
	srv := rpc.NewServer(escrowBackend{c, c, escrowStub{e}, c, c, c, c})
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	plain := &env{t: t, url: hs.URL}

	var got map[string]any
	raw := call(t, plain, "sov_getEscrow", e.ID)
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"status": "released", "amount": "12.34", "released": "10.00", "returned": "2.34",
		"bank_status": "overdue", "unlock_at": float64(80_000)} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if next := got["next_step"].(map[string]any); next["kind"] != "debit_executed" || next["amount"] != "10.00" {
		t.Errorf("next_step %v", next)
	}
	if code := errCode(t, plain, "sov_getEscrow", common.Hash{8}); code != "escrow_not_found" {
		t.Errorf("unknown escrow: %s", code)
	}
	if code := errCode(t, plain, "sov_listEscrows", map[string]any{"status": "done"}); code != "invalid_params" {
		t.Errorf("bad status: %s", code)
	}
	if code := errCode(t, plain, "sov_listEscrows", map[string]any{"status": "released"}); code != "invalid_params" {
		t.Errorf("released without account: %s", code)
	}
	var rec rpc.Reconciliation
	json.Unmarshal(call(t, plain, "sov_reconciliation", map[string]any{"bank": nodetest.Addr(keys.Bank)}), &rec)
	if rec.Counts["overdue"] != 1 || rec.Overdue[0].Kind != "escrow" || rec.From != 1 || rec.To != 9 {
		t.Errorf("reconciliation %+v", rec)
	}
	if code := errCode(t, plain, "sov_reconciliation", map[string]any{"bank": nodetest.Addr(keys.Bank), "from": 5, "to": 4}); code != "invalid_params" {
		t.Errorf("empty range: %s", code)
	}

	// the real ledger knows no such escrow
	real := newEnv(t)
	if code := errCode(t, real, "sov_getEscrow", e.ID); code != rpc.ErrCodeEscrowNotFound {
		t.Errorf("unknown escrow: %s", code)
	}
}

func call(t *testing.T, e *env, method string, params ...any) json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	_, out := e.post(string(body))
	var r response
	if err := json.Unmarshal(out, &r); err != nil || r.Error != nil {
		t.Fatalf("%s: %s", method, out)
	}
	return r.Result
}

func errCode(t *testing.T, e *env, method string, params ...any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	_, out := e.post(string(body))
	var r response
	if err := json.Unmarshal(out, &r); err != nil || r.Error == nil {
		t.Fatalf("%s: want an error, got %s", method, out)
	}
	var d struct {
		Code string `json:"code"`
	}
	json.Unmarshal(r.Error.Data, &d)
	if d.Code == "" && strings.Contains(r.Error.Message, "not") {
		return "?" + r.Error.Message
	}
	return d.Code
}
