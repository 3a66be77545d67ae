package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/rpc"
)

// TestNodeAccessControl runs `sovereign node` (an observer of the built-in
// genesis) with access control on and /metrics on its own address, mints
// tokens with `sovereign rpc token` from the secret the node created, and
// checks that wallet commands read alice with her token (flag or
// environment) and are refused bob, or alice without a token.
func TestNodeAccessControl(t *testing.T) {
	const alice, bob = "0x5f7deb1eea074d37d5138005086c214009aad8d8", "0x45571358f57b4f48a84254d7c43d9acad29a70ce"
	dir := t.TempDir()
	rpcAddr, metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(binary, "node", "--datadir", dir, "--rpc.addr", rpcAddr, "--rpc.auth", "on", "--metrics.addr", metricsAddr)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGKILL); cmd.Wait() })
	url := "http://" + rpcAddr
	var info struct {
		ChainID string `json:"chain_id"`
	}
	for deadline := time.Now().Add(60 * time.Second); rpcCall(url, "sov_chainInfo", nil, &info) != nil; {
		if time.Now().After(deadline) {
			t.Fatalf("node did not serve RPC; log:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	secret := filepath.Join(dir, "rpc-jwt.hex")
	tok := mustRun(t, "rpc", "token", "--role", "account", "--subject", alice, "--expires", "1h", "--secret-file", secret)
	if c, err := rpc.ParseToken(mustSecret(t, secret), tok, time.Now()); err != nil || c.Role != rpc.RoleAccount || !strings.EqualFold(c.Subject.Hex(), alice) {
		t.Fatalf("minted token: %+v %v", c, err)
	}
	if out := mustRun(t, "wallet", "balance", "--rpc", url, "--rpc.token", tok, "--json", alice); !strings.Contains(out, `"available"`) {
		t.Fatalf("alice with her token: %s", out)
	}
	for name, args := range map[string][]string{
		"bob with alice's token": {"wallet", "balance", "--rpc", url, "--rpc.token", tok, bob},
		"alice without a token":  {"wallet", "balance", "--rpc", url, alice},
		"alice with a bad token": {"wallet", "balance", "--rpc", url, "--rpc.token", tok + "x", alice},
	} {
		_, errOut, code := run(t, args...)
		if code == 0 || !strings.Contains(errOut, "forbidden") && !strings.Contains(errOut, "unauthorized") && !strings.Contains(errOut, "401") {
			t.Errorf("%s: exit %d, stderr %s", name, code, errOut)
		}
	}
	env := exec.Command(binary, "wallet", "balance", "--rpc", url, alice)
	env.Env = append(os.Environ(), "SOV_RPC_TOKEN="+tok)
	if out, err := env.CombinedOutput(); err != nil {
		t.Fatalf("alice with SOV_RPC_TOKEN: %v: %s", err, out)
	}
	if _, _, code := run(t, "rpc", "token", "--role", "root", "--secret-file", secret); code == 0 {
		t.Error("minted a token with role root")
	}
	if _, _, code := run(t, "rpc", "token", "--role", "account", "--secret-file", secret); code == 0 {
		t.Error("minted an account token without a subject")
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "sovereign_rpc_access_refused_total 2") {
		t.Fatalf("/metrics on --metrics.addr lacks the two access refusals:\n%s", body)
	}
}

func mustSecret(t *testing.T, path string) []byte {
	t.Helper()
	s, err := rpc.LoadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
