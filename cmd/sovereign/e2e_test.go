package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests drive the real binary, as an operator and a wallet
// author would: devnet in a temp dir, wallet commands over RPC, kill -9 and
// restart.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sovereign-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sovereign")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build sovereign:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// devnetProc is a running `sovereign devnet`.
type devnetProc struct {
	t   *testing.T
	cmd *exec.Cmd
	dir string
	rpc string
	log *bytes.Buffer
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startDevnet(t *testing.T, dir string, port int, extra ...string) *devnetProc {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Free p2p ports, not the default 30300–30303: other packages' tests
	// run devnets at the same time.
	args := []string{"devnet", "--dir", dir, "--rpc.addr", addr, "--p2p.port", strconv.Itoa(freePortRange(t, 4))}
	cmd := exec.Command(binary, append(args, extra...)...)
	var out bytes.Buffer
	cmd.Stderr = &out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &devnetProc{t: t, cmd: cmd, dir: dir, log: &out}
	t.Cleanup(func() { p.kill() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "rpc:" {
				urls <- f[1]
			}
		}
	}()
	select {
	case p.rpc = <-urls:
	case <-time.After(60 * time.Second):
		t.Fatalf("devnet did not print its RPC URL; stderr:\n%s", out.String())
	}
	if p.rpc != "http://"+addr {
		t.Fatalf("devnet printed rpc %s, want http://%s", p.rpc, addr)
	}
	p.waitHeight(1)
	return p
}

func (p *devnetProc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

func (p *devnetProc) waitHeight(h uint64) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var info struct {
			FinalHeight uint64 `json:"final_height"`
		}
		if rpcCall(p.rpc, "sov_chainInfo", nil, &info) == nil && info.FinalHeight >= h {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("chain did not reach height %d; log:\n%s", h, p.log.String())
}

func rpcCall(url, method string, params []any, out any) error {
	if params == nil {
		params = []any{}
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return err
	}
	if r.Error != nil {
		return fmt.Errorf("%s", r.Error.Message)
	}
	return json.Unmarshal(r.Result, out)
}

// run executes the binary and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return strings.TrimSpace(stdout.String()), strings.TrimSpace(stderr.String()), code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, args...)
	if code != 0 {
		t.Fatalf("sovereign %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

type demoAccount struct {
	Address string `json:"address"`
	Role    string `json:"role"`
	Name    string `json:"name"`
	Bank    string `json:"bank"`
}

// TestDevnetWalkthrough is the README's five-minute walk-through, checked:
// devnet, new wallet, bank registers it, transfer --wait, balance, verified
// proof, an overdraft refused with insufficient_funds, then kill -9 and a
// restart on the same directory with everything final still there.
func TestDevnetWalkthrough(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	dn := startDevnet(t, dir, port)

	accounts, raw := readAccounts(t, dir)
	var bank, alice demoAccount
	for _, a := range accounts {
		if a.Role == "bank" && bank.Address == "" {
			bank = a
		}
		if a.Name == "alice" {
			alice = a
		}
	}
	if bank.Address == "" || alice.Address == "" || alice.Bank != bank.Address {
		t.Fatalf("accounts.json lacks a bank and its customer alice: %s", raw)
	}
	ks, pw := filepath.Join(dir, "keystore"), filepath.Join(dir, "password")
	mine := filepath.Join(t.TempDir(), "mine")
	newAddr := mustRun(t, "wallet", "new", "--keystore", mine, "--password-file", pw)
	if !strings.HasPrefix(newAddr, "0x") || len(newAddr) != 42 {
		t.Fatalf("wallet new printed %q, want an address", newAddr)
	}
	if list := mustRun(t, "wallet", "list", "--keystore", mine); !strings.EqualFold(list, newAddr) {
		t.Fatalf("wallet list printed %q, want %s", list, newAddr)
	}
	mustRun(t, "bank", "register-account", "--rpc", dn.rpc, "--keystore", ks, "--password-file", pw, "--from", bank.Address, "--wait", newAddr)

	out := mustRun(t, "wallet", "transfer", "--rpc", dn.rpc, "--keystore", ks, "--password-file", pw,
		"--from", alice.Address, "--to", newAddr, "--asset", "CNY", "--amount", "12.34", "--wait", "--json")
	var sent struct {
		Hash   string `json:"hash"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &sent); err != nil || sent.Status != "final" || sent.Hash == "" {
		t.Fatalf("transfer --wait --json printed %q (%v), want status final", out, err)
	}

	balance := func() map[string]any {
		var b map[string]any
		out := mustRun(t, "wallet", "balance", "--rpc", dn.rpc, "--asset", "CNY", "--json", newAddr)
		if err := json.Unmarshal([]byte(out), &b); err != nil {
			t.Fatalf("balance --json: %q: %v", out, err)
		}
		return b
	}
	if b := balance(); b["available"] != "12.34" || b["asset"] != "CNY" || !strings.EqualFold(b["address"].(string), newAddr) {
		t.Fatalf("balance %v, want 12.34 CNY", b)
	}
	if out := mustRun(t, "wallet", "proof", "--rpc", dn.rpc, newAddr); !strings.Contains(out, "proof verified") {
		t.Fatalf("wallet proof printed %q", out)
	}

	_, errOut, code := run(t, "wallet", "transfer", "--rpc", dn.rpc, "--keystore", ks, "--password-file", pw,
		"--from", alice.Address, "--to", newAddr, "--asset", "CNY", "--amount", "99999999", "--wait")
	if code == 0 || !strings.Contains(errOut, "insufficient_funds") {
		t.Fatalf("overdraft: exit %d, stderr %q; want non-zero and insufficient_funds", code, errOut)
	}

	var info struct {
		FinalHeight uint64 `json:"final_height"`
	}
	if err := rpcCall(dn.rpc, "sov_chainInfo", nil, &info); err != nil {
		t.Fatal(err)
	}
	dn.kill() // kill -9: no clean shutdown

	dn = startDevnet(t, dir, port)
	dn.waitHeight(info.FinalHeight + 1)
	if b := balance(); b["available"] != "12.34" {
		t.Fatalf("after kill -9 and restart the balance is %v, want 12.34", b)
	}
	status := mustRun(t, "tx", "status", "--rpc", dn.rpc, "--json", sent.Hash)
	if !strings.Contains(status, `"final"`) {
		t.Fatalf("after restart tx status is %s, want final", status)
	}
	// SIGINT stops it cleanly
	_ = dn.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- dn.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("devnet exited with %v on SIGINT; log:\n%s", err, dn.log.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("devnet did not stop on SIGINT")
	}
}

func portFree(port int) bool {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// readAccounts reads a devnet's accounts.json (and returns it raw for
// messages).
func readAccounts(t *testing.T, dir string) ([]demoAccount, []byte) {
	t.Helper()
	var accounts []demoAccount
	raw, err := os.ReadFile(filepath.Join(dir, "accounts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &accounts); err != nil {
		t.Fatal(err)
	}
	return accounts, raw
}
