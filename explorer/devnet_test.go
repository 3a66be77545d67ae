package explorer_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sovereign-ledger/sovereign/bench"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// TestDevnetScreenshot runs `sovereign devnet` (four validators, each a
// `sovereign node` process serving the explorer at /explorer on its RPC
// address), carries traffic, kills one validator so that its rounds are
// missed, and checks that the chain page shows the key's path across
// validators with missed rounds. With SOV_UPDATE_SCREENSHOT=1 it rewrites
// docs/explorer.png from it; otherwise it is skipped under -short.
func TestDevnetScreenshot(t *testing.T) {
	update := os.Getenv("SOV_UPDATE_SCREENSHOT") == "1"
	if testing.Short() && !update {
		t.Skip("devnet browser test skipped under -short")
	}
	browser := newBrowser(t, 1280, 900)
	bin := filepath.Join(t.TempDir(), "sovereign")
	build := exec.Command("go", "build", "-o", bin, "../cmd/sovereign")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build: %v", err)
	}
	rpcPort, p2pPort := freePort(t), 20000+rand.IntN(30000)
	dir := t.TempDir()
	t.Cleanup(func() { // runs before dir is removed
		if !t.Failed() {
			return
		}
		logs, _ := filepath.Glob(filepath.Join(dir, "node*.log"))
		for _, l := range logs {
			raw, _ := os.ReadFile(l)
			t.Logf("--- %s (last 4,000 bytes) ---\n%s", filepath.Base(l), raw[max(0, len(raw)-4000):])
		}
	})
	cmd := exec.Command(bin, "devnet", "--dir", dir, "--rpc.addr", fmt.Sprintf("127.0.0.1:%d", rpcPort), "--p2p.port", fmt.Sprint(p2pPort))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGINT); cmd.Wait() }()
	rpcURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "rpc:" {
				rpcURL <- f[1]
			}
		}
	}()
	var url string
	select {
	case url = <-rpcURL:
	case <-time.After(90 * time.Second):
		t.Fatal("devnet printed no RPC URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for deadline := time.Now().Add(90 * time.Second); ; { // the nodes start after the devnet prints
		if cl, err := wallet.Dial(url); err == nil {
			info, err := cl.ChainInfo(ctx)
			cl.Close()
			if err == nil && info.FinalHeight >= 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the devnet made no block in 90 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := bench.Run(ctx, bench.Config{RPC: []string{url}, Accounts: 50, Txs: 3000, Rate: 300, Timeout: 2 * time.Minute}); err != nil {
		t.Fatalf("traffic: %v", err)
	}
	// Kill validator 3 (a child process of the devnet, found by its data dir; by pid).
	victim := 0
	for _, pid := range children(t, cmd.Process.Pid) {
		if argv, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(argv), string(filepath.Separator)+"node3\x00") {
			victim = pid
		}
	}
	if victim == 0 {
		t.Fatal("no node process for validator 3 among the devnet's children")
	}
	syscall.Kill(victim, syscall.SIGKILL)
	if _, err := bench.Run(ctx, bench.Config{RPC: []string{url}, Accounts: 50, Txs: 1500, Rate: 150, Timeout: 2 * time.Minute}); err != nil {
		t.Fatalf("traffic after the kill: %v", err)
	}
	if err := chromedp.Do(browser, chromedp.Navigate(url+"/explorer/")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `document.querySelectorAll('svg.keypath circle').length >= 32 && document.querySelectorAll('svg.keypath g.miss').length > 0`, 60*time.Second); err != nil {
		t.Fatalf("the key's path shows no missed round after a validator was killed: %v", err)
	}
	if rows := text(browser, t, "main"); !strings.Contains(rows, "validator-3") {
		t.Fatalf("chain page lacks the validators: %q", rows)
	}
	screenshot(browser, t, os.Getenv("SOV_SCREENSHOT_DIR"), "devnet.png")
	if update {
		screenshot(browser, t, "../docs", "explorer.png")
	}
}

// children lists a process's child pids (Linux /proc).
func children(t *testing.T, pid int) []int {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range tasks {
		raw, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(raw)) {
			var p int
			fmt.Sscan(s, &p)
			out = append(out, p)
		}
	}
	return out
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
