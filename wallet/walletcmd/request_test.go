package walletcmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// TestRequestCommands runs the payment request flow through the CLI: the
// bank binds alice's phone number, bob requests by it into escrow, alice
// lists and accepts, and the status shows the escrow with its end-to-end id.
func TestRequestCommands(t *testing.T) {
	e := newCLIEnv(t)
	if _, err := wallet.ImportKey(e.keystore, e.keys.Bob, "hunter2", wallet.LightScrypt()); err != nil {
		t.Fatal(err)
	}
	e.chain.Seal()
	e.chain.AutoSeal = true
	alice, bob, bank := nodetest.Addr(e.keys.Alice).Hex(), nodetest.Addr(e.keys.Bob).Hex(), nodetest.Addr(e.keys.Bank).Hex()
	signer := func(from string, args ...string) []string {
		return append(args, "--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile, "--from", from, "--wait", "--json")
	}

	var bound txResult
	decode(t, e.ok(signer(bank, "bank", "alias", "bind", "--account", alice, "--alias", "+86 138 0013 8000")...), &bound)
	if bound.Status != wallet.StatusFinal {
		t.Fatalf("bind: %+v", bound)
	}
	e.fails(1, "bad_alias", signer(bank, "bank", "alias", "bind", "--account", alice, "--alias", "13800138000")...)
	if out := e.ok("bank", "alias", "resolve", "--rpc", e.url, "+8613800138000"); !strings.Contains(out, alice) {
		t.Fatalf("resolve: %s", out)
	}

	expiry := e.chain.Ledger.Head().Time + 3_600_000
	var req txResult
	decode(t, e.ok(signer(bob, "merchant", "request", "--payer", "+8613800138000", "--asset", "CNY", "--amount", "1.50",
		"--expires-at", fmt.Sprint(expiry), "--ref", "ORDER-1", "--escrow")...), &req)
	if req.Status != wallet.StatusFinal || req.Request == nil || *req.Request != req.Hash {
		t.Fatalf("request: %+v", req)
	}
	var waiting []rpc.Request
	decode(t, e.ok("wallet", "requests", "--rpc", e.url, "--json", alice), &waiting)
	if len(waiting) != 1 || waiting[0].ID != req.Hash || waiting[0].Amount != "1.50" {
		t.Fatalf("waiting: %+v", waiting)
	}
	var acc txResult
	decode(t, e.ok(signer(alice, "wallet", "accept", "--request", req.Hash.Hex())...), &acc)
	if acc.Status != wallet.StatusFinal {
		t.Fatalf("accept: %+v", acc)
	}
	var st rpc.Request
	decode(t, e.ok("merchant", "request-status", "--rpc", e.url, "--json", req.Hash.Hex()), &st)
	if st.ID != req.Hash || st.Status != "paid" || st.AmountUnits != 150 || st.Escrow == nil || *st.Escrow != acc.Hash {
		t.Fatalf("status: %+v", st)
	}
	var esc rpc.Escrow
	decode(t, e.ok("wallet", "escrow", "--rpc", e.url, "--json", acc.Hash.Hex()), &esc)
	if esc.EndToEndID != chain.EscrowEndToEndID(acc.Hash) || len(esc.EndToEndID) > chain.MaxEndToEndID {
		t.Fatalf("escrow end_to_end_id %q", esc.EndToEndID)
	}
	if out := e.ok("wallet", "requests", "--rpc", e.url, alice); out != "" {
		t.Fatalf("still waiting: %s", out)
	}
	e.fails(ExitRejected, "request_not_open", signer(alice, "wallet", "decline", "--request", req.Hash.Hex())...)
	e.fails(1, "--request is required", signer(alice, "wallet", "accept")...)
	if out := e.ok("merchant", "requests", "--rpc", e.url, bob); !strings.Contains(out, "paid") || !strings.Contains(out, "ORDER-1") {
		t.Fatalf("merchant requests: %s", out)
	}
	if out := e.ok("bank", "alias", "unbind", "--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile, "--from", bank, "--alias", "+8613800138000", "--wait"); out == "" {
		t.Fatal("unbind printed nothing")
	}
	e.fails(1, "alias_not_found", "bank", "alias", "resolve", "--rpc", e.url, "+8613800138000")
}
