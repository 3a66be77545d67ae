package walletcmd

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
	"github.com/urfave/cli/v2"
)

type cliEnv struct {
	t        *testing.T
	chain    *nodetest.Chain
	keys     nodetest.Keys
	url      string
	keystore string
	pwFile   string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	c, keys := nodetest.New()
	url := c.Serve(t)
	dir := t.TempDir()
	e := &cliEnv{t: t, chain: c, keys: keys, url: url, keystore: filepath.Join(dir, "keys"), pwFile: filepath.Join(dir, "pw")}
	if err := os.WriteFile(e.pwFile, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []*ecdsa.PrivateKey{keys.Alice, keys.Bank} {
		if _, err := wallet.ImportKey(e.keystore, key, "hunter2", wallet.LightScrypt()); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

type result struct {
	out, err string
	code     int
	runErr   error
}

func (e *cliEnv) run(args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{
		Name:           "sovereign",
		Commands:       []*cli.Command{NewWalletCommand(), NewTxCommand(), NewBankCommand(), NewMerchantCommand(), NewGovernanceCommand()},
		Writer:         &out,
		ErrWriter:      &errb,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.Run(append([]string{"sovereign"}, args...))
	r := result{out: out.String(), err: errb.String(), runErr: err}
	if err != nil {
		r.code = 1
		var ec cli.ExitCoder
		if errors.As(err, &ec) {
			r.code = ec.ExitCode()
		}
	}
	return r
}

func (e *cliEnv) ok(args ...string) string {
	e.t.Helper()
	r := e.run(args...)
	if r.runErr != nil {
		e.t.Fatalf("sovereign %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.runErr, r.out, r.err)
	}
	return r.out
}

func (e *cliEnv) fails(wantCode int, wantMsg string, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.runErr == nil || r.code != wantCode || !strings.Contains(r.runErr.Error(), wantMsg) {
		e.t.Fatalf("sovereign %s: exit %d err %v, want exit %d mentioning %q\nstdout: %s", strings.Join(args, " "), r.code, r.runErr, wantCode, wantMsg, r.out)
	}
	return r
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
}

func TestWalletKeys(t *testing.T) {
	e := newCLIEnv(t)
	t.Setenv("SOV_KEYSTORE", e.keystore) // flags read their environment variables
	t.Setenv("SOV_PASSWORD_FILE", e.pwFile)
	addr := strings.TrimSpace(e.ok("wallet", "new", "--lightkdf"))
	if !strings.HasPrefix(addr, "0x") || len(addr) != 42 {
		t.Fatalf("new printed %q", addr)
	}
	lines := strings.Fields(e.ok("wallet", "list"))
	if len(lines) != 3 || !contains(lines, addr) || !contains(lines, nodetest.Addr(e.keys.Alice).Hex()) {
		t.Fatalf("list: %v", lines)
	}
	keyFile := filepath.Join(t.TempDir(), "carol.hex")
	os.WriteFile(keyFile, []byte(hex.EncodeToString(crypto.FromECDSA(e.keys.Carol))+"\n"), 0o600)
	if got := strings.TrimSpace(e.ok("wallet", "import", "--lightkdf", keyFile)); got != nodetest.Addr(e.keys.Carol).Hex() {
		t.Fatalf("import printed %q", got)
	}
	e.fails(1, "already in keystore", "wallet", "import", "--lightkdf", keyFile)
	e.fails(1, "--password-file is required", "wallet", "new", "--password-file", "")
	e.fails(1, "no such file", "wallet", "list", "--keystore", filepath.Join(t.TempDir(), "nope"))
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func TestWalletBalance(t *testing.T) {
	e := newCLIEnv(t)
	alice := nodetest.Addr(e.keys.Alice).Hex()
	out := e.ok("wallet", "balance", "--rpc", e.url, alice)
	if !strings.Contains(out, "CNY available 100.00 held 0.00 locked 0.00 nonce 0") {
		t.Fatalf("text balance: %q", out)
	}
	var b map[string]any
	decode(t, e.ok("wallet", "balance", "--rpc", e.url, "--json", "--asset", "USD", alice), &b)
	want := map[string]any{"address": strings.ToLower(alice), "asset": "USD", "available": "0.00", "held": "0.00", "locked": "0.00", "nonce": 0.0, "available_units": "0"}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("balance --json %s = %v, want %v", k, b[k], v)
		}
	}
	t.Setenv("SOV_RPC", e.url)
	t.Setenv("SOV_JSON", "true")
	decode(t, e.ok("wallet", "balance", alice), &b)
	if b["available"] != "100.00" || b["asset"] != "CNY" {
		t.Fatalf("default asset via env: %v", b)
	}
	e.fails(1, `unknown asset "EUR"`, "wallet", "balance", "--asset", "EUR", alice)
	e.fails(1, `bad account address "0x12"`, "wallet", "balance", "0x12")
	e.fails(1, "account not found", "wallet", "balance", nodetest.Addr(e.keys.Carol).Hex())
	e.fails(1, "exactly one ADDRESS", "wallet", "balance")
	e.fails(1, "unreachable", "wallet", "balance", "--rpc", deadURL(t), alice)
	e.fails(1, "scheme must be", "wallet", "balance", "--rpc", "ftp://x:1", alice)
}

func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

func (e *cliEnv) transferArgs(extra ...string) []string {
	return append([]string{"wallet", "transfer", "--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile,
		"--from", nodetest.Addr(e.keys.Alice).Hex(), "--to", nodetest.Addr(e.keys.Bob).Hex(), "--asset", "CNY"}, extra...)
}

func TestWalletTransfer(t *testing.T) {
	e := newCLIEnv(t)
	out := e.ok(e.transferArgs("--amount", "12.34")...)
	hash := strings.TrimSpace(out)
	if len(hash) != 66 || e.chain.Pending() != 1 {
		t.Fatalf("transfer printed %q", out)
	}
	e.chain.Seal()
	e.chain.AutoSeal = true

	var res map[string]any
	decode(t, e.ok(e.transferArgs("--amount", "0.66", "--wait", "--json")...), &res)
	if res["status"] != "final" || res["code"] != "" || res["height"] != 2.0 || len(res["hash"].(string)) != 66 {
		t.Fatalf("transfer --wait --json: %v", res)
	}
	bob := e.ok("wallet", "balance", "--rpc", e.url, nodetest.Addr(e.keys.Bob).Hex())
	if !strings.Contains(bob, "available 13.00") {
		t.Fatalf("bob after transfers: %s", bob)
	}

	// Rejected at admission: exit 3, the code printed.
	r := e.fails(ExitRejected, "insufficient_funds", e.transferArgs("--amount", "1000", "--wait", "--json")...)
	decode(t, r.out, &res)
	if res["status"] != "rejected" || res["code"] != "insufficient_funds" || res["hash"] == "" {
		t.Fatalf("admission rejection --json: %v", res)
	}
	r = e.fails(ExitRejected, "insufficient_funds", e.transferArgs("--amount", "1000")...)
	if len(strings.TrimSpace(r.out)) != 66 {
		t.Fatalf("rejected transfer still prints its hash: %q", r.out)
	}

	e.fails(1, "wrong password", append(e.transferArgs("--amount", "1"), "--password-file", writeTemp(t, "nope\n"))...)
	e.fails(1, "no key for address", append(e.transferArgs("--amount", "1"), "--from", nodetest.Addr(e.keys.Bob).Hex())...)
	e.fails(1, "bad --to address", append(e.transferArgs("--amount", "1"), "--to", "bob")...)
	e.fails(1, "--amount is required", e.transferArgs()...)
	e.fails(1, "more than 2 decimals", e.transferArgs("--amount", "1.001")...)
	e.fails(1, `unknown asset "EUR"`, append(e.transferArgs("--amount", "1"), "--asset", "EUR")...)
}

func TestWalletTransferRejectedInBlock(t *testing.T) {
	e := newCLIEnv(t)
	e.ok(e.transferArgs("--amount", "60")...)
	go func() {
		for e.chain.Pending() < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		e.chain.Seal()
	}()
	// The pool does not look up recipients; the ledger refuses an unregistered one.
	carol := nodetest.Addr(e.keys.Carol).Hex()
	r := e.fails(ExitRejected, "rejected in block 1: unknown_account", e.transferArgs("--amount", "1", "--to", carol, "--wait", "--json")...)
	var res map[string]any
	decode(t, r.out, &res)
	if res["status"] != "rejected" || res["code"] != "unknown_account" || res["height"] != 1.0 {
		t.Fatalf("rejected in block --json: %v", res)
	}
	hash := res["hash"].(string)

	// tx status tells the same story, and --wait exits 3 for it.
	out := e.ok("tx", "status", "--rpc", e.url, hash)
	for _, want := range []string{"status   rejected", "code     unknown_account", "block    1 (index 1)", "amount   1.00 CNY", "type     transfer"} {
		if !strings.Contains(out, want) {
			t.Errorf("tx status lacks %q:\n%s", want, out)
		}
	}
	r = e.fails(ExitRejected, "unknown_account", "tx", "status", "--rpc", e.url, "--wait", "--json", hash)
	var tx rpc.Transaction
	decode(t, r.out, &tx)
	if tx.Status != "rejected" || tx.Code != "unknown_account" || tx.Receipt == nil || tx.Receipt.OK {
		t.Fatalf("tx status --json: %+v", tx)
	}
}

func writeTemp(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTxStatus(t *testing.T) {
	e := newCLIEnv(t)
	hash := strings.TrimSpace(e.ok(e.transferArgs("--amount", "1")...))
	var tx rpc.Transaction
	decode(t, e.ok("tx", "status", "--rpc", e.url, "--json", hash), &tx)
	if tx.Status != "pending" || tx.Hash.Hex() != hash {
		t.Fatalf("pending: %+v", tx)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		e.chain.Seal()
	}()
	out := e.ok("tx", "status", "--rpc", e.url, "--wait", hash)
	if !strings.Contains(out, "status   final") {
		t.Fatalf("status --wait: %s", out)
	}
	e.fails(1, "transaction not found", "tx", "status", "--rpc", e.url, "0x"+strings.Repeat("ab", 32))
	e.fails(1, "bad transaction hash", "tx", "status", "--rpc", e.url, "0x1234")
	r := e.fails(1, "still pending", "tx", "status", "--rpc", e.url, "--wait", "--timeout", "150ms",
		strings.TrimSpace(e.ok(e.transferArgs("--amount", "1")...)))
	_ = r
}

func TestTxSend(t *testing.T) {
	e := newCLIEnv(t)
	e.chain.AutoSeal = true
	tx, err := wallet.SignTx(nodetest.ChainID, 0, mustTransfer(t, e), e.keys.Alice)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	decode(t, e.ok("tx", "send", "--rpc", e.url, "--wait", "--json", hex.EncodeToString(tx.Bytes())), &res)
	if res["status"] != "final" || res["hash"] != tx.Hash().Hex() {
		t.Fatalf("tx send: %v", res)
	}
	e.fails(ExitRejected, "already_known", "tx", "send", "--rpc", e.url, hex.EncodeToString(tx.Bytes()))
	e.fails(ExitRejected, "malformed", "tx", "send", "--rpc", e.url, "0x0102")
}

func mustTransfer(t *testing.T, e *cliEnv) chain.Body {
	b, err := wallet.TransferBody(nodetest.Addr(e.keys.Bob), "CNY", "5", 2)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWalletProof(t *testing.T) {
	e := newCLIEnv(t)
	alice := nodetest.Addr(e.keys.Alice).Hex()
	// At genesis there is no certificate: the root checks, finality cannot.
	out := e.ok("wallet", "proof", "--rpc", e.url, alice)
	for _, want := range []string{"account " + alice, "CNY available 100.00", "proof verified against block 0 state root 0x", "warning: block 0 has no commit certificate"} {
		if !strings.Contains(out, want) {
			t.Errorf("proof lacks %q:\n%s", want, out)
		}
	}
	e.chain.AutoSeal = true
	e.ok(e.transferArgs("--amount", "2.50", "--wait")...)
	out = e.ok("wallet", "proof", "--rpc", e.url, alice)
	for _, want := range []string{"nonce 1", "CNY available 97.50", "proof verified against block 1", "certificate verified: block 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("proof lacks %q:\n%s", want, out)
		}
	}
	g, _ := nodetest.Genesis()
	raw, _ := json.Marshal(g)
	gfile := writeTemp(t, string(raw))
	var res map[string]any
	decode(t, e.ok("wallet", "proof", "--rpc", e.url, "--json", "--genesis", gfile, alice), &res)
	if res["verified"] != true || res["certified"] != true || res["height"] != 1.0 || res["exists"] != true || res["trust"] != gfile || res["nonce"] != 1.0 {
		t.Fatalf("proof --json: %v", res)
	}
	bal := res["balances"].([]any)[0].(map[string]any)
	if bal["asset"] != "CNY" || bal["available"] != "97.50" || bal["available_units"] != "9750" {
		t.Fatalf("proof balance: %v", bal)
	}
	out = e.ok("wallet", "proof", "--rpc", e.url, nodetest.Addr(e.keys.Carol).Hex())
	if !strings.Contains(out, "does not exist (absence proven)") {
		t.Fatalf("absent: %s", out)
	}
	// A genesis with other validators refuses the node's certificate.
	g.Validators[0].Address = nodetest.Addr(e.keys.Carol)
	raw, _ = json.Marshal(g)
	e.fails(1, "invalid proof", "wallet", "proof", "--rpc", e.url, "--genesis", writeTemp(t, string(raw)), alice)
}

func TestBankCommands(t *testing.T) {
	e := newCLIEnv(t)
	e.chain.AutoSeal = true
	bank := nodetest.Addr(e.keys.Bank).Hex()
	carol := nodetest.Addr(e.keys.Carol).Hex()
	common := []string{"--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile, "--from", bank}
	var res map[string]any
	decode(t, e.ok(append(append([]string{"bank", "register-account"}, common...), "--wait", "--json", carol)...), &res)
	if res["status"] != "final" {
		t.Fatalf("register: %v", res)
	}
	decode(t, e.ok(append(append([]string{"bank", "mint"}, common...), "--to", carol, "--asset", "USD", "--amount", "7.5", "--wait", "--json")...), &res)
	if res["status"] != "final" {
		t.Fatalf("mint: %v", res)
	}
	if out := e.ok("wallet", "balance", "--rpc", e.url, "--asset", "USD", carol); !strings.Contains(out, "available 7.50") {
		t.Fatalf("carol: %s", out)
	}
	e.fails(ExitRejected, "insufficient_funds", append(append([]string{"bank", "burn"}, common...), "--amount", "1")...)
}
