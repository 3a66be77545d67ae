package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/webhook"
)

// TestPoliciesWalkthrough is docs/POLICIES.md's walk-through on a real
// devnet process, through the binary: the supervisor's bank back-end gets
// webhooks for the supervisor's address (`devnet --webhooks`); an elderly
// customer's large payment to a fraudster waits, the webhook receives
// approval_requested, the supervisor (keys on its own machine) rejects it,
// the webhook receives payment_rejected, and nothing moves; a minor's large
// purchase is co-signed by her guardian through a transaction file (--out,
// tx sign, tx send).
func TestPoliciesWalkthrough(t *testing.T) {
	dir := t.TempDir()
	supKeys, supPw := filepath.Join(t.TempDir(), "sup-keys"), filepath.Join(t.TempDir(), "sup-pw")
	os.WriteFile(supPw, []byte("supervisor-pw\n"), 0o600)
	sup := mustRun(t, "wallet", "new", "--keystore", supKeys, "--password-file", supPw, "--lightkdf")

	var mu sync.Mutex
	var got []string // "kind record"
	var bad []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if _, err := webhook.Verify("whsec-supervisor", r.Header.Get(webhook.HeaderSignature), body, webhook.DefaultTolerance, time.Now()); err != nil {
			bad = append(bad, err.Error())
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var d struct {
			Event struct {
				Kind   string `json:"kind"`
				Record string `json:"record"`
			} `json:"event"`
		}
		json.Unmarshal(body, &d)
		got = append(got, d.Event.Kind+" "+strings.ToLower(d.Event.Record))
	}))
	defer hook.Close()
	hooks := filepath.Join(t.TempDir(), "hooks.json")
	os.WriteFile(hooks, []byte(fmt.Sprintf(`[{"url": %q, "secret": "whsec-supervisor", "accounts": [%q]}]`, hook.URL, sup)), 0o600)
	waitHook := func(kind, record string) {
		t.Helper()
		want := kind + " " + strings.ToLower(record)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			seen := strings.Contains(strings.Join(got, "\n"), want)
			mu.Unlock()
			if seen {
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the supervisor's webhook never received %s; got %v, refused %v", want, got, bad)
	}

	dn := startDevnet(t, dir, freePort(t), "--validators", "1", "--webhooks", hooks)
	accounts, _ := readAccounts(t, dir)
	addr := map[string]string{}
	for _, a := range accounts {
		addr[a.Name] = a.Address
		if a.Name == "alice" || a.Name == "dave" {
			addr["bank of "+a.Name] = a.Bank
		}
	}
	t.Setenv("SOV_RPC", dn.rpc)
	t.Setenv("SOV_KEYSTORE", filepath.Join(dir, "keystore"))
	t.Setenv("SOV_PASSWORD_FILE", filepath.Join(dir, "password"))
	balance := func(a string) string { return mustRun(t, "wallet", "balance", a) }

	// the elderly customer and the fraudster
	fraud, vkd := mustRun(t, "wallet", "new", "--lightkdf"), mustRun(t, "wallet", "new", "--lightkdf")
	mustRun(t, "bank", "register-account", "--from", addr["bank of dave"], "--wait", sup)
	mustRun(t, "bank", "register-account", "--from", addr["bank of alice"], "--wait", fraud)
	mustRun(t, "wallet", "set-withdrawal-key", "--from", addr["dave"], "--key", vkd, "--wait")
	mustRun(t, "bank", "policy", "set", "--from", addr["bank of dave"], "--account", addr["dave"], "--tiers", "CNY:500,5000", "--supervisor", sup, "--wait")
	var paid struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "wallet", "transfer", "--from", addr["dave"], "--to", fraud, "--amount", "20000", "--cosign", vkd, "--wait", "--json")), &paid); err != nil {
		t.Fatal(err)
	}
	waitHook("approval_requested", paid.Hash)
	if out := mustRun(t, "wallet", "approvals", "--supervisor", sup); !strings.Contains(strings.ToLower(out), strings.ToLower(paid.Hash)) || !strings.Contains(out, "awaiting_approval") {
		t.Fatalf("the supervisor's pending approvals: %s", out)
	}
	daveBefore := balance(addr["dave"])
	mustRun(t, "wallet", "reject", "--from", sup, "--keystore", supKeys, "--password-file", supPw, "--payment", paid.Hash, "--reason", "telephone_fraud", "--wait")
	waitHook("payment_rejected", paid.Hash)
	if b := balance(fraud); !strings.Contains(b, "available 0.00") || balance(addr["dave"]) != daveBefore {
		t.Fatalf("the rejected payment moved funds: fraudster %s", b)
	}
	if _, errOut, code := run(t, "wallet", "approve", "--from", sup, "--keystore", supKeys, "--password-file", supPw, "--payment", paid.Hash, "--wait"); code != 3 || !strings.Contains(errOut, "approval_not_pending") {
		t.Fatalf("approving a rejected payment: exit %d %s", code, errOut)
	}

	// the minor, her verification key, and her guardian on another machine
	vkc := mustRun(t, "wallet", "new", "--lightkdf")
	mustRun(t, "wallet", "set-withdrawal-key", "--from", addr["carol"], "--key", vkc, "--wait")
	mustRun(t, "bank", "policy", "set", "--from", addr["bank of alice"], "--account", addr["carol"], "--tiers", "CNY:500,5000", "--guardians", addr["alice"], "--threshold", "1", "--wait")
	if _, errOut, code := run(t, "wallet", "transfer", "--from", addr["carol"], "--to", addr["bob"], "--amount", "6000", "--cosign", vkc, "--wait"); code != 3 || !strings.Contains(errOut, "guardian_signature_required") {
		t.Fatalf("a large purchase without the guardian: exit %d %s", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "purchase.hex")
	mustRun(t, "wallet", "transfer", "--from", addr["carol"], "--to", addr["bob"], "--amount", "6000", "--cosign", vkc, "--out", file)
	if out := mustRun(t, "tx", "sign", "--from", addr["alice"], "--file", file); !strings.Contains(out, "(co-signer)") || !strings.Contains(out, `"Amount":600000`) {
		t.Fatalf("tx sign: %s", out)
	}
	mustRun(t, "tx", "send", "--file", file, "--wait")
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("refused deliveries: %v", bad)
	}
}
