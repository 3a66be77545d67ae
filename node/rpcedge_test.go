package node

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/rpc/flood"
)

func TestRPCAuthMode(t *testing.T) {
	for _, c := range []struct {
		mode, addr string
		on         bool
	}{
		{RPCAuthAuto, "127.0.0.1:8545", false},
		{RPCAuthAuto, "127.9.9.9:8545", false},
		{RPCAuthAuto, "[::1]:8545", false},
		{RPCAuthAuto, "localhost:8545", false},
		{RPCAuthAuto, "0.0.0.0:8545", true},
		{RPCAuthAuto, ":8545", true}, // every interface
		{RPCAuthAuto, "10.1.2.3:8545", true},
		{RPCAuthAuto, "node.bank.example:8545", true},
		{RPCAuthOff, "0.0.0.0:8545", false},
		{RPCAuthOn, "127.0.0.1:8545", true},
	} {
		on, err := rpcAuthOn(c.mode, c.addr)
		if err != nil || on != c.on {
			t.Errorf("mode %q at %s: on=%v (%v), want %v", c.mode, c.addr, on, err, c.on)
		}
	}
	if _, err := rpcAuthOn("maybe", "127.0.0.1:1"); err == nil {
		t.Error("mode \"maybe\" accepted")
	}
}

// startEdgeNode starts a single-validator node with RPC access control on,
// the given limits and /metrics on its own address.
func startEdgeNode(t *testing.T, limits rpc.Config) *Node {
	t.Helper()
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	n, err := New(Config{
		DataDir: t.TempDir(), Genesis: g,
		Key:             devnet.Key(devnet.Seed, "validator", 0),
		HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		RPCAddr:         "127.0.0.1:0", RPCAuth: RPCAuthOn, RPCLimits: limits, MetricsAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// nodeToken mints a token with the secret the node created in its data dir.
func nodeToken(t *testing.T, n *Node, role rpc.Role, subject common.Address) string {
	t.Helper()
	path := filepath.Join(n.cfg.DataDir, DefaultRPCSecretFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token secret not created: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("token secret mode %v, want 0600", st.Mode().Perm())
	}
	secret, err := rpc.LoadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := rpc.MintToken(secret, rpc.Claims{Role: role, Subject: subject, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func dialToken(t *testing.T, url, tok string) *gethrpc.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var opts []gethrpc.ClientOption
	if tok != "" {
		opts = append(opts, gethrpc.WithHeader("Authorization", "Bearer "+tok))
	}
	c, err := gethrpc.DialOptions(ctx, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func isForbidden(err error) bool {
	var de gethrpc.DataError
	if !errors.As(err, &de) {
		return false
	}
	raw, _ := json.Marshal(de.ErrorData())
	return strings.Contains(string(raw), `"`+rpc.ErrCodeForbidden+`"`)
}

// TestNodeAliceNotBob: on a real node with access control, an account
// token for alice reads her account, subscribes to her events and gets the
// event of her transfer; it is refused bob's account and events. A caller
// without a token is refused alice's account. /metrics is on its own
// address and counts the refusals.
func TestNodeAliceNotBob(t *testing.T) {
	n := startEdgeNode(t, rpc.Config{})
	aliceKey := devnet.Key(devnet.Seed, "customer", 0)
	alice, bob := devnet.Address(devnet.Seed, "customer", 0), devnet.Address(devnet.Seed, "customer", 1)
	ws := "ws" + strings.TrimPrefix(n.RPCURL(), "http")

	anon := dialToken(t, n.RPCURL(), "")
	var acct rpc.Account
	if err := anon.Call(&acct, "sov_getAccount", alice); !isForbidden(err) {
		t.Fatalf("alice's account without a token: %v", err)
	}
	c := dialToken(t, ws, nodeToken(t, n, rpc.RoleAccount, alice))
	if err := c.Call(&acct, "sov_getAccount", alice); err != nil || acct.Address != alice {
		t.Fatalf("alice's account with her token: %v", err)
	}
	if err := c.Call(&acct, "sov_getAccount", bob); !isForbidden(err) {
		t.Fatalf("bob's account with alice's token: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := make(chan json.RawMessage, 16)
	sub, err := c.Subscribe(ctx, "sov", events, "accountEvents", alice)
	if err != nil {
		t.Fatalf("alice subscribing to her events: %v", err)
	}
	defer sub.Unsubscribe()
	if _, err := c.Subscribe(ctx, "sov", make(chan json.RawMessage), "accountEvents", bob); !isForbidden(err) {
		t.Fatalf("alice subscribing to bob's events: %v", err)
	}
	tx := chain.NewTx(n.cfg.Genesis.ChainID, 0, chain.Transfer{To: bob, Asset: "CNY", Amount: 100})
	if err := tx.Sign(aliceKey); err != nil {
		t.Fatal(err)
	}
	var h common.Hash
	if err := c.Call(&h, "sov_sendRawTransaction", hexutil.Bytes(tx.Bytes())); err != nil {
		t.Fatalf("alice sending: %v", err)
	}
	select {
	case ev := <-events:
		if !strings.Contains(string(ev), strings.ToLower(alice.Hex()[2:])) && !strings.Contains(string(ev), alice.Hex()) {
			t.Fatalf("event does not name alice: %s", ev)
		}
	case err := <-sub.Err():
		t.Fatal(err)
	case <-ctx.Done():
		t.Fatal("no event for alice's transfer")
	}

	metrics := scrape(t, n.MetricsURL())
	if metrics["sovereign_rpc_access_refused_total"] != 3 {
		t.Fatalf("access refusals on /metrics: %v, want 3", metrics["sovereign_rpc_access_refused_total"])
	}
	if !strings.HasPrefix(n.MetricsURL(), "http://") || strings.HasPrefix(n.MetricsURL(), n.RPCURL()) {
		t.Fatalf("/metrics at %s, RPC at %s: want separate addresses", n.MetricsURL(), n.RPCURL())
	}
	if m := scrape(t, n.RPCURL()+"/metrics"); len(m) > 0 {
		t.Fatal("/metrics is still served on the RPC address")
	}
}

// scrape reads a Prometheus text page into name (with labels) -> value.
// The node runs in this process: a collection first makes the heap figures
// what is live, not what the node's relaxed GC (gcPercent) has yet to free.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	runtime.GC()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	return out
}

// TestNodeFloods: the attacks of the security test against a real node —
// 50,000 subscriptions on one connection, then 3,000 connections from one
// address and more from others — with the node's memory, read from its own
// /metrics, staying under the stated bound and blocks continuing.
func TestNodeFloods(t *testing.T) {
	if testing.Short() {
		t.Skip("floods take a few seconds")
	}
	const (
		subs, conns, perIP, total = 50_000, 3_000, 50, 200
		heapBound                 = 64 << 20 // growth of go_memstats_heap_inuse_bytes
	)
	n := startEdgeNode(t, rpc.Config{MaxConnsPerIP: perIP, MaxConns: total, RequestRate: -1})
	ws := "ws" + strings.TrimPrefix(n.RPCURL(), "http")
	before := scrape(t, n.MetricsURL())
	height := n.Ledger().Head().Height

	c, ans, err := flood.Subscriptions(ws, nil, subs)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ans.Accepted != rpc.DefaultMaxSubscriptions || ans.Refused[rpc.ErrCodeTooManySubs] != subs-rpc.DefaultMaxSubscriptions {
		t.Fatalf("subscription flood: %d accepted, refused %v", ans.Accepted, ans.Refused)
	}
	addr := strings.TrimPrefix(n.RPCURL(), "http://")
	open := flood.Connections(addr, nil, conns, "sov_chainInfo")
	defer open.Close()
	for i := 2; i < 6; i++ {
		more := flood.Connections(addr, net.IPv4(127, 0, 0, byte(i)), perIP, "sov_chainInfo")
		defer more.Close()
		open.Open = append(open.Open, more.Open...)
		more.Open = nil
	}
	during := scrape(t, n.MetricsURL())
	t.Logf("before: heap in use %.1f MiB, %v goroutines; under both floods (%d subscriptions, %d connections open, %v refused): heap in use %.1f MiB, %v goroutines",
		before["go_memstats_heap_inuse_bytes"]/(1<<20), before["go_goroutines"], int(during["sovereign_rpc_subscriptions"]),
		int(during["sovereign_rpc_connections"]), during["sovereign_rpc_connections_refused_total"],
		during["go_memstats_heap_inuse_bytes"]/(1<<20), during["go_goroutines"])
	if during["sovereign_rpc_connections"] > total || len(open.Open) > total {
		t.Fatalf("%v connections open, limit %d", during["sovereign_rpc_connections"], total)
	}
	if grew := during["go_memstats_heap_inuse_bytes"] - before["go_memstats_heap_inuse_bytes"]; grew > heapBound {
		t.Fatalf("heap in use grew by %.1f MiB, bound %d MiB", grew/(1<<20), heapBound>>20)
	}
	// About three goroutines per subscription and one per open connection.
	if g := during["go_goroutines"]; g > before["go_goroutines"]+3*rpc.DefaultMaxSubscriptions+total+100 {
		t.Fatalf("%v goroutines under the floods, %v before", g, before["go_goroutines"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.backend.WaitFinal(ctx, height+5); err != nil {
		t.Fatalf("blocks stopped under the floods: %v", err)
	}
}
