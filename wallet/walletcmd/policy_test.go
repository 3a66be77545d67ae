package walletcmd

import (
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// importKeys adds keys to the env's keystore and returns their addresses.
func (e *cliEnv) importKeys(keys ...*ecdsa.PrivateKey) []string {
	e.t.Helper()
	out := make([]string, len(keys))
	for i, k := range keys {
		if _, err := wallet.ImportKey(e.keystore, k, "hunter2", wallet.LightScrypt()); err != nil {
			e.t.Fatal(err)
		}
		out[i] = nodetest.Addr(k).Hex()
	}
	return out
}

func (e *cliEnv) signer(from string) []string {
	return []string{"--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile, "--from", from}
}

func (e *cliEnv) balance(addr string) string {
	e.t.Helper()
	var b balanceResult
	decode(e.t, e.ok("wallet", "balance", "--rpc", e.url, "--json", addr), &b)
	return b.Available
}

// TestPolicyCommands: the bank sets a policy with tiers, a guardian and a
// supervisor; the account pays small alone, normal with --cosign of its
// verification key, large with the key and the guardian, whereupon the
// payment waits; the supervisor lists, rejects and approves; the payer
// recalls; and co-signers on different machines use --out, tx sign and tx
// send.
func TestPolicyCommands(t *testing.T) {
	e := newCLIEnv(t)
	e.chain.AutoSeal = true
	alice, bob, bank := nodetest.Addr(e.keys.Alice).Hex(), nodetest.Addr(e.keys.Bob).Hex(), nodetest.Addr(e.keys.Bank).Hex()
	// the guardian's key lives in a keystore of its own, with its own password
	elsewhere := filepath.Join(t.TempDir(), "guardian-keys")
	gpw := filepath.Join(t.TempDir(), "gpw")
	os.WriteFile(gpw, []byte("guardian-pw\n"), 0o600)
	guardianKey := nodetest.DevKey("guardian")
	if _, err := wallet.ImportKey(elsewhere, guardianKey, "guardian-pw", wallet.LightScrypt()); err != nil {
		t.Fatal(err)
	}
	guardian := nodetest.Addr(guardianKey).Hex()
	ks := e.importKeys(nodetest.DevKey("supervisor"), nodetest.DevKey("verification key"))
	super, vkey := ks[0], ks[1]
	for _, a := range []string{guardian, super} {
		e.ok(append([]string{"bank", "register-account"}, append(e.signer(bank), "--wait", a)...)...)
	}
	e.ok(append([]string{"wallet", "set-withdrawal-key"}, append(e.signer(alice), "--key", vkey, "--wait")...)...)
	e.ok(append([]string{"bank", "policy", "set"}, append(e.signer(bank), "--account", alice, "--tiers", "CNY:5,20",
		"--guardians", guardian, "--threshold", "1", "--supervisor", super, "--wait")...)...)
	var p rpc.Policy
	decode(t, e.ok("bank", "policy", "show", "--rpc", e.url, "--json", alice), &p)
	if !p.Bound || len(p.Tiers) != 1 || p.Tiers[0].Small != "5.00" || p.Tiers[0].Normal != "20.00" || p.Supervisor == nil || p.Supervisor.Hex() != super ||
		p.VerificationKey == nil || p.VerificationKey.Hex() != vkey || len(p.Guardians) != 1 || p.Threshold != 1 {
		t.Fatalf("policy show: %+v", p)
	}
	pay := func(amount string, extra ...string) []string {
		return append([]string{"wallet", "transfer"}, append(e.signer(alice), append([]string{"--to", bob, "--amount", amount, "--wait", "--json"}, extra...)...)...)
	}
	e.ok(pay("5")...)
	e.fails(ExitRejected, "verification_key_required", pay("10")...)
	e.ok(pay("10", "--cosign", vkey)...)
	e.fails(ExitRejected, "guardian_signature_required", pay("30", "--cosign", vkey)...)
	e.fails(1, "no key for", pay("30", "--cosign", vkey, "--cosign", guardian)...) // not in --keystore
	guardianFlags := []string{"--cosign", vkey, "--cosign", guardian, "--cosign-keystore", elsewhere, "--cosign-password-file", gpw}
	e.fails(1, "--cosign", pay("30", guardianFlags...)...) // vkey is not in the guardian's keystore
	// the guardian in its own keystore, the verification key by the one-machine path
	var res txResult
	payTwo := func() string {
		t.Helper()
		dir := t.TempDir()
		file := filepath.Join(dir, "tx.hex")
		e.ok(append(pay("30", "--cosign", vkey), "--out", file)...)
		e.ok("tx", "sign", "--keystore", elsewhere, "--password-file", gpw, "--from", guardian, "--file", file)
		e.fails(1, "signed the transaction already", "tx", "sign", "--keystore", elsewhere, "--password-file", gpw, "--from", guardian, "--file", file)
		decode(t, e.ok("tx", "send", "--rpc", e.url, "--wait", "--json", "--file", file), &res)
		return res.Hash.Hex()
	}
	before := e.balance(bob)
	first := payTwo()
	if res.Receipt == nil || len(res.Receipt.Events) == 0 || res.Receipt.Events[0].Kind != "approval_requested" || e.balance(bob) != before {
		t.Fatalf("a large payment did not wait for the supervisor: %+v, bob %s → %s", res, before, e.balance(bob))
	}
	var list []rpc.Approval
	decode(t, e.ok("wallet", "approvals", "--rpc", e.url, "--json", "--supervisor", super), &list)
	if len(list) != 1 || list[0].ID.Hex() != first || list[0].Amount != "30.00" || list[0].Status != "awaiting_approval" {
		t.Fatalf("the supervisor's pending approvals: %+v", list)
	}
	e.fails(ExitRejected, "not_authorized", append([]string{"wallet", "approve"}, append(e.signer(alice), "--payment", first, "--wait")...)...)
	e.ok(append([]string{"wallet", "reject"}, append(e.signer(super), "--payment", first, "--reason", "fraud_suspected", "--wait")...)...)
	if e.balance(bob) != before {
		t.Fatal("a rejected payment moved funds")
	}
	second := payTwo()
	e.ok(append([]string{"wallet", "approve"}, append(e.signer(super), "--payment", second, "--wait")...)...)
	if got := e.balance(bob); got == before {
		t.Fatal("an approved payment did not move")
	}
	// a third, which the payer recalls
	third := payTwo()
	e.ok(append([]string{"wallet", "recall"}, append(e.signer(alice), "--payment", third, "--wait")...)...)
	decode(t, e.ok("wallet", "approvals", "--rpc", e.url, "--json", "--payer", alice, "--status", "any"), &list)
	if len(list) != 3 || list[0].Status != "recalled" || list[1].Status != "approved" || list[2].Status != "rejected" || list[2].Reason != "fraud_suspected" {
		t.Fatalf("alice's payments: %+v", list)
	}
	e.fails(1, "exactly one of --supervisor and --payer", "wallet", "approvals", "--rpc", e.url)
	e.fails(1, "want ASSET:SMALL,NORMAL", append([]string{"bank", "policy", "set"}, append(e.signer(bank), "--account", alice, "--tiers", "CNY:5")...)...)
}

// TestSubAccountCommands: a main account creates a purchase sub-account
// with a daily limit at one merchant, tops it up, and the sub-account
// runs out of allowance; show reports what is left and when it resets;
// freeze, new limits, and close returning the rest.
func TestSubAccountCommands(t *testing.T) {
	e := newCLIEnv(t)
	e.chain.AutoSeal = true
	alice, bob := nodetest.Addr(e.keys.Alice).Hex(), nodetest.Addr(e.keys.Bob).Hex()
	card := e.importKeys(nodetest.DevKey("card"))[0]
	sub := func(cmd string, args ...string) []string {
		return append([]string{"wallet", "sub-account", cmd}, append(e.signer(alice), append(args, "--sub", card, "--wait")...)...)
	}
	e.fails(1, "--limit is required", sub("create")...)
	e.ok(sub("create", "--limit", "CNY:5/day", "--merchants", bob)...)
	e.ok(append([]string{"wallet", "transfer"}, append(e.signer(alice), "--to", card, "--amount", "10", "--wait")...)...)
	buy := func(amount string) []string {
		return append([]string{"wallet", "transfer"}, append(e.signer(card), "--to", bob, "--amount", amount, "--wait")...)
	}
	e.ok(buy("4")...)
	e.fails(ExitRejected, "sub_account_limit", buy("2")...)
	var sa rpc.SubAccount
	decode(t, e.ok("wallet", "sub-account", "show", "--rpc", e.url, "--json", card), &sa)
	if sa.Status != "open" || len(sa.Limits) != 1 || sa.Limits[0].Remaining != "1.00" || sa.Limits[0].Spent != "4.00" ||
		sa.Limits[0].ResetAt != sa.Created+86_400_000 || sa.Main.Hex() != alice || sa.Funding != "top_up" {
		t.Fatalf("sub-account show: %+v", sa)
	}
	if out := e.ok("wallet", "sub-account", "show", "--rpc", e.url, card); !strings.Contains(out, "5.00 CNY per day: spent 4.00, remaining 1.00") {
		t.Fatalf("sub-account show (text): %s", out)
	}
	e.ok(sub("freeze")...)
	e.fails(ExitRejected, "sub_account_frozen", buy("1")...)
	e.ok(sub("freeze", "--thaw")...)
	e.ok(sub("limit", "--limit", "CNY:50/week", "--draw")...)
	e.ok(buy("20")...) // 6 of its own, 14 drawn from alice
	decode(t, e.ok("wallet", "sub-account", "show", "--rpc", e.url, "--json", card), &sa)
	if sa.Funding != "draw" || sa.Limits[0].PeriodMs != 7*86_400_000 {
		t.Fatalf("after limit --draw: %+v", sa)
	}
	before := e.balance(alice)
	e.ok(append([]string{"wallet", "transfer"}, append(e.signer(alice), "--to", card, "--amount", "3", "--wait")...)...)
	e.ok(sub("close")...)
	if e.balance(alice) != before || e.balance(card) != "0.00" {
		t.Fatalf("close did not return the rest: alice %s (had %s), card %s", e.balance(alice), before, e.balance(card))
	}
	e.fails(ExitRejected, "insufficient_funds", buy("1")...) // nothing left: the pool refuses it before the ledger would (sub_account_closed)
}
