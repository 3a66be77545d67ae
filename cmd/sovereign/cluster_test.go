package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/p2p"
)

// cluster is N validator processes (and extra nodes) of the built binary on
// loopback, each killable on its own.
type cluster struct {
	t     *testing.T
	procs *devnet.Processes
	cmds  map[int]*exec.Cmd
	logs  map[int]*syncBuffer
}

// syncBuffer is a process's log, written by exec's copier while the test
// reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func newCluster(t *testing.T, n int, observers []string) *cluster {
	t.Helper()
	return newClusterWith(t, n, observers, n)
}

// newClusterWith is newCluster with port ranges for ports nodes (validators
// that join later run as i ≥ n).
func newClusterWith(t *testing.T, n int, observers []string, ports int) *cluster {
	t.Helper()
	dir := t.TempDir()
	template, err := chain.ParseGenesis(sovereign.DevnetGenesis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := devnet.Prepare(dir, template, n); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, cmds: map[int]*exec.Cmd{}, logs: map[int]*syncBuffer{},
		procs: &devnet.Processes{Layout: devnet.Layout{Dir: dir}, N: n, Binary: binary, RPCHost: "127.0.0.1",
			RPCPort: freePortRange(t, ports), P2PPort: freePortRange(t, ports), LogLevel: "info", Observers: observers}}
	t.Cleanup(func() {
		for i := range c.cmds {
			c.kill(i)
		}
		if t.Failed() {
			for i, l := range c.logs {
				t.Logf("--- node %d log (tail) ---\n%s", i, tail(l.String(), 3000))
			}
		}
	})
	for i := 0; i < n; i++ {
		c.start(i)
	}
	return c
}

// observerDir is a data dir with an observer's node key in it, so its peer
// id (observerID) can be admitted by the validators before it starts.
func observerDir(t *testing.T) string {
	dir := t.TempDir()
	k, _ := crypto.GenerateKey()
	if err := crypto.SaveECDSA(filepath.Join(dir, "nodekey"), k); err != nil {
		t.Fatal(err)
	}
	return dir
}

// observerID is the peer id of the node key in dir.
func observerID(t *testing.T, dir string) string {
	k, err := crypto.LoadECDSA(filepath.Join(dir, "nodekey"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := p2p.PeerID(k)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// freePortRange finds n consecutive free loopback ports.
func freePortRange(t *testing.T, n int) int {
	for try := 0; try < 50; try++ {
		base := freePort(t)
		ok := true
		for i := 1; i < n && ok; i++ {
			ok = portFree(base + i)
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

func (c *cluster) start(i int) {
	args, err := c.procs.Args(i)
	if err != nil {
		c.t.Fatal(err)
	}
	c.startArgs(i, args)
}

func (c *cluster) startArgs(i int, args []string) {
	cmd := exec.Command(binary, args...)
	if c.logs[i] == nil {
		c.logs[i] = new(syncBuffer)
	}
	cmd.Stdout, cmd.Stderr = c.logs[i], c.logs[i]
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.cmds[i] = cmd
}

func (c *cluster) kill(i int) {
	if cmd := c.cmds[i]; cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		delete(c.cmds, i)
	}
}

func (c *cluster) rpc(i int) string { return c.procs.RPCURL(i) }

type chainInfo struct {
	Height      uint64         `json:"height"`
	FinalHeight uint64         `json:"final_height"`
	Round       uint32         `json:"round"`
	Holder      common.Address `json:"holder"`
	PeerCount   int            `json:"peer_count"`
}

func (c *cluster) info(url string) (chainInfo, error) {
	var ci chainInfo
	err := rpcCall(url, "sov_chainInfo", nil, &ci)
	return ci, err
}

// waitHeight waits until every listed node's final height reaches h.
func (c *cluster) waitHeight(h uint64, timeout time.Duration, urls ...string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for _, u := range urls {
		for {
			ci, err := c.info(u)
			if err == nil && ci.FinalHeight >= h {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s did not reach height %d within %s (at %d, %v)", u, h, timeout, ci.FinalHeight, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

type blockInfo struct {
	Hash      common.Hash `json:"hash"`
	StateRoot common.Hash `json:"state_root"`
	TxCount   int         `json:"tx_count"`
}

func (c *cluster) block(url string, h uint64) blockInfo {
	c.t.Helper()
	var b blockInfo
	if err := rpcCall(url, "sov_getBlockByNumber", []any{h}, &b); err != nil {
		c.t.Fatalf("block %d from %s: %v", h, url, err)
	}
	return b
}

// TestClusterSurvivesKilledHolder runs 4 validators of the built binary,
// submits 1,000 transfers across them, kill -9s the current key holder in
// the middle, and checks: the chain finalizes again promptly; the restarted
// holder catches up; every transfer is final exactly once; all nodes hold
// identical block hashes and state roots; an observer follows; a peer with
// an unknown key cannot connect.
func TestClusterSurvivesKilledHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process cluster test")
	}
	obsDir := observerDir(t)
	c := newCluster(t, 4, []string{observerID(t, obsDir)})
	urls := []string{c.rpc(0), c.rpc(1), c.rpc(2), c.rpc(3)}
	c.waitHeight(2, 60*time.Second, urls...)

	// an observer (admitted by id) and an intruder (unknown key)
	boot, _ := devnet.ValidatorPeerAddr(0, c.procs.P2PPort)
	obsRPC, intruderRPC := freePort(t), freePort(t)
	nodeArgs := func(dir string, rpcPort int) []string {
		return []string{"node", "--datadir", dir, "--genesis", c.procs.Layout.Genesis(),
			"--p2p.listen", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", freePort(t)), "--p2p.bootnodes", boot,
			"--rpc.addr", fmt.Sprintf("127.0.0.1:%d", rpcPort)}
	}
	c.startArgs(10, nodeArgs(obsDir, obsRPC))
	c.startArgs(11, nodeArgs(t.TempDir(), intruderRPC))
	obsURL, intruderURL := fmt.Sprintf("http://127.0.0.1:%d", obsRPC), fmt.Sprintf("http://127.0.0.1:%d", intruderRPC)

	// 1,000 transfers from the four demo customers, spread over the nodes
	g, _ := chain.LoadGenesis(c.procs.Layout.Genesis())
	var txs []*chain.Tx
	for i := 0; i < 1000; i++ {
		from := i % devnet.Customers
		to := devnet.Address(devnet.Seed, "customer", (from+1)%devnet.Customers)
		tx := chain.NewTx(g.ChainID, uint64(i/devnet.Customers), chain.Transfer{To: to, Asset: "CNY", Amount: 1})
		if err := tx.Sign(devnet.Key(devnet.Seed, "customer", from)); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	alive := map[int]bool{0: true, 1: true, 2: true, 3: true}
	submit := func(batch []*chain.Tx) error {
		for j, tx := range batch {
			for k := 0; k < 4; k++ { // to a live node, round robin
				node := (j + k) % 4
				if !alive[node] {
					continue
				}
				var h common.Hash
				if err := rpcCall(c.rpc(node), "sov_sendRawTransaction", []any{hexutil.Bytes(tx.Bytes())}, &h); err != nil {
					return fmt.Errorf("submit tx to node %d: %v", node, err)
				}
				break
			}
		}
		return nil
	}
	if err := submit(txs[:500]); err != nil {
		t.Fatal(err)
	}

	ci, err := c.info(urls[0])
	if err != nil {
		t.Fatal(err)
	}
	holder := -1
	for i := 0; i < 4; i++ {
		if devnet.Address(devnet.Seed, "validator", i) == ci.Holder {
			holder = i
		}
	}
	if holder < 0 {
		t.Fatalf("holder %s is not a devnet validator", ci.Holder)
	}
	killedAt := time.Now()
	c.kill(holder)
	alive[holder] = false
	var live []string
	for i := 0; i < 4; i++ {
		if alive[i] {
			live = append(live, c.rpc(i))
		}
	}
	submitted := make(chan error, 1)
	go func() { submitted <- submit(txs[500:]) }() // the load goes on while the holder is dead
	c.waitHeight(ci.FinalHeight+1, 15*time.Second, live[0])
	firstFinal := time.Since(killedAt)
	if err := <-submitted; err != nil {
		t.Fatal(err)
	}
	// The design bound is 1.5 s (one propose timeout of 0.5 s plus a round
	// of votes; 0.4–0.8 s measured); the test leaves headroom for a 2-core
	// machine running the rest of the suite at the same time.
	if firstFinal > 2500*time.Millisecond {
		t.Errorf("after the key holder was killed the next block took %s to become final", firstFinal)
	}
	c.waitHeight(ci.FinalHeight+2, 15*time.Second, live...)
	t.Logf("killed holder %d at height %d: next block final after %s, two blocks on every live node after %s",
		holder, ci.FinalHeight, firstFinal.Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond))

	// Every transfer final, exactly once. Transfers the killed node had
	// admitted but not yet gossiped died with its pool (a pool is memory,
	// and the RPC answer only said "admitted"): like a wallet, resubmit
	// what is not final; the nonce makes a second inclusion impossible.
	deadline := time.Now().Add(60 * time.Second)
	for {
		pending := 0
		for j, tx := range txs {
			var st struct {
				Status string `json:"status"`
			}
			if rpcCall(live[0], "sov_getTransaction", []any{tx.Hash()}, &st) == nil && st.Status == "final" {
				continue
			}
			pending++
			var h common.Hash
			_ = rpcCall(live[j%len(live)], "sov_sendRawTransaction", []any{hexutil.Bytes(tx.Bytes())}, &h)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d transfers still not final", pending)
		}
		time.Sleep(time.Second)
	}
	c.start(holder) // restart the killed holder: it catches up
	head, _ := c.info(live[0])
	all := append(live, c.rpc(holder), obsURL)
	c.waitHeight(head.FinalHeight, 60*time.Second, all...)

	// The killed holder's missed round is on every node's /metrics, the
	// observer's too (counted from the chain), and the live nodes saw a
	// round change by timeout.
	killed := devnet.Address(devnet.Seed, "validator", holder).Hex()
	for _, u := range []string{live[0], obsURL} {
		if got := metricValue(t, u+"/metrics", `sovereign_validator_proposals_missed_total{validator="`+killed+`"}`); got < 1 {
			t.Errorf("%s: the killed holder's missed proposals = %v, want at least 1", u, got)
		}
	}
	if got := metricValue(t, live[0]+"/metrics", `sovereign_consensus_round_changes_total{cause="timeout"}`); got < 1 {
		t.Errorf("round changes by timeout on a live node = %v, want at least 1", got)
	}
	restarted := `sovereign_p2p_validator_connected{validator="` + killed + `"}`
	if got := metricValue(t, live[0]+"/metrics", restarted); got != 1 {
		t.Errorf("a live validator's %s = %v after the holder restarted, want 1", restarted, got)
	}
	if resp, err := http.Get(obsURL + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("observer /readyz after catching up: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	included := 0
	for h := uint64(1); h <= head.FinalHeight; h++ {
		ref := c.block(live[0], h)
		included += ref.TxCount
		for _, u := range all[1:] {
			if b := c.block(u, h); b.Hash != ref.Hash || b.StateRoot != ref.StateRoot {
				t.Fatalf("height %d: %s has block %s root %s, %s has %s root %s", h, live[0], ref.Hash, ref.StateRoot, u, b.Hash, b.StateRoot)
			}
		}
	}
	if included != len(txs) {
		t.Fatalf("%d transactions in blocks 1..%d, submitted %d: each must be final exactly once", included, head.FinalHeight, len(txs))
	}
	for _, tx := range txs {
		var st struct {
			Status string `json:"status"`
		}
		if err := rpcCall(c.rpc(holder), "sov_getTransaction", []any{tx.Hash()}, &st); err != nil || st.Status != "final" {
			t.Fatalf("restarted node: tx %s status %q, %v", tx.Hash(), st.Status, err)
		}
	}

	// the intruder is refused by the gater and sees nothing
	ic, err := c.info(intruderURL)
	if err != nil {
		t.Fatal(err)
	}
	if ic.PeerCount != 0 || ic.FinalHeight != 0 {
		t.Fatalf("intruder has %d peers at height %d; it must not connect", ic.PeerCount, ic.FinalHeight)
	}
	if !strings.Contains(c.logs[0].String(), "refused peer") {
		t.Fatal("validator 0 did not log the refused intruder")
	}
	var obs chainInfo
	if obs, err = c.info(obsURL); err != nil || obs.FinalHeight < head.FinalHeight {
		t.Fatalf("observer at %d, want ≥ %d (%v)", obs.FinalHeight, head.FinalHeight, err)
	}
}
