package node

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/sovereign-ledger/sovereign/wallet/walletcmd"
	"github.com/urfave/cli/v2"
)

// TestEscrowCLI drives the escrow, withdrawal and bank commands exactly as
// docs/ESCROW.md shows them, against a real node.
func TestEscrowCLI(t *testing.T) {
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	g.Params.ProtectionPeriod = chain.Duration(time.Second)
	n, err := New(Config{DataDir: t.TempDir(), Genesis: g, Key: devnet.Key(devnet.Seed, "validator", 0),
		HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0), RPCAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	dir := t.TempDir()
	ks, pw := filepath.Join(dir, "keys"), filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("pw\n"), 0o600)
	alice, bob := devnet.Key(devnet.Seed, "customer", 0), devnet.Key(devnet.Seed, "customer", 1)
	bankA, bankB := devnet.Key(devnet.Seed, "bank", 0), devnet.Key(devnet.Seed, "bank", 1)
	wkey := devnet.Key(devnet.Seed, "withdrawal", 0)
	for _, k := range []*ecdsa.PrivateKey{alice, bob, bankA, bankB, wkey} {
		if _, err := wallet.ImportKey(ks, k, "pw", wallet.LightScrypt()); err != nil {
			t.Fatal(err)
		}
	}
	run := func(wantCode int, args ...string) map[string]any {
		t.Helper()
		var out, errb bytes.Buffer
		app := &cli.App{Name: "sovereign", Commands: []*cli.Command{walletcmd.NewWalletCommand(), walletcmd.NewBankCommand()},
			Writer: &out, ErrWriter: &errb, ExitErrHandler: func(*cli.Context, error) {}}
		full := append([]string{"sovereign", args[0], args[1], "--rpc", n.RPCURL()}, args[2:]...)
		if args[1] != "escrow" && args[1] != "balance" && args[1] != "reconcile" {
			full = append(full, "--keystore", ks, "--password-file", pw)
		}
		err := app.Run(full)
		code := 0
		if err != nil {
			code = 1
			var ec cli.ExitCoder
			if errors.As(err, &ec) {
				code = ec.ExitCode()
			}
		}
		if code != wantCode {
			t.Fatalf("%s: exit %d (%v), want %d\n%s%s", strings.Join(args, " "), code, err, wantCode, out.String(), errb.String())
		}
		var m map[string]any
		if strings.HasPrefix(strings.TrimSpace(out.String()), "{") {
			if err := json.Unmarshal(out.Bytes(), &m); err != nil {
				t.Fatalf("%s: %v\n%s", args[1], err, out.String())
			}
		} else if strings.HasPrefix(strings.TrimSpace(out.String()), "[") {
			var l []any
			json.Unmarshal(out.Bytes(), &l)
			m = map[string]any{"list": l}
		}
		return m
	}
	a, b := addrOf(alice).Hex(), addrOf(bob).Hex()
	ba, bb := addrOf(bankA).Hex(), addrOf(bankB).Hex()

	held := run(0, "wallet", "hold", "--from", a, "--to", b, "--asset", "CNY", "--amount", "12.34", "--expires", "72h", "--wait", "--json")
	id, _ := held["escrow"].(string)
	if id == "" || held["status"] != "final" || id != held["hash"] {
		t.Fatalf("hold --json: %v", held)
	}
	e := run(0, "wallet", "escrow", "--json", id)
	if e["id"] != id || e["status"] != "open" || e["amount"] != "12.34" || e["bank_status"] != "waiting" {
		t.Fatalf("escrow --json: %v", e)
	}
	run(0, "bank", "feedback", "--from", ba, "--escrow", id, "--kind", "hold_placed", "--asset", "CNY", "--amount", "12.34", "--ref", "BANKREF-1", "--wait")
	if e := run(0, "wallet", "escrow", "--json", id); e["bank_status"] != "matched" {
		t.Fatalf("after hold_placed: %v", e)
	}
	run(0, "wallet", "release", "--from", a, "--escrow", id, "--amount", "10.00", "--wait")
	if e := run(0, "wallet", "escrow", "--json", id); e["status"] != "released" || e["released"] != "10.00" || e["returned"] != "2.34" {
		t.Fatalf("after release: %v", e)
	}
	bal := run(0, "wallet", "balance", "--asset", "CNY", "--json", b)
	if bal["locked"] != "10.00" || bal["held"] != "0.00" {
		t.Fatalf("bob's balance: %v", bal)
	}
	if r := run(walletcmd.ExitRejected, "wallet", "refund", "--from", b, "--escrow", id, "--wait", "--json"); r["code"] != "escrow_not_open" {
		t.Fatalf("refund after release: %v", r)
	}
	run(0, "bank", "feedback", "--from", ba, "--escrow", id, "--kind", "debit_executed", "--asset", "CNY", "--amount", "10.00", "--ref", "BANKREF-2", "--wait")
	if r := run(walletcmd.ExitRejected, "bank", "feedback", "--from", ba, "--escrow", id, "--kind", "hold_released", "--asset", "CNY", "--amount", "2.00", "--ref", "BANKREF-3", "--wait", "--json"); r["code"] != "feedback_mismatch" {
		t.Fatalf("mismatch: %v", r)
	}
	rec := run(0, "bank", "reconcile", "--bank", ba, "--json")
	if counts := rec["counts"].(map[string]any); counts["mismatched"] != float64(1) {
		t.Fatalf("reconcile: %v", rec["counts"])
	}
	run(0, "wallet", "set-withdrawal-key", "--from", b, "--key", addrOf(wkey).Hex(), "--wait")
	wd := run(0, "wallet", "withdraw", "--from", b, "--asset", "CNY", "--amount", "5.00", "--payout", "CN12 3456 Bob", "--withdrawal-key", addrOf(wkey).Hex(), "--wait", "--json")
	if wd["payout"] != wd["hash"] || wd["status"] != "final" {
		t.Fatalf("withdraw: %v", wd)
	}
	pays := run(0, "bank", "payouts", "--from", bb, "--json")["list"].([]any)
	if len(pays) != 1 || pays[0].(map[string]any)["payout_details"] != "CN12 3456 Bob" {
		t.Fatalf("payouts: %v", pays)
	}
	run(0, "bank", "feedback", "--from", bb, "--payout", wd["payout"].(string), "--kind", "payout_executed", "--asset", "CNY", "--amount", "5.00", "--ref", "PAY-1", "--wait")
}
