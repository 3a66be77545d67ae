package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// TestSnapshotJoinAndCLI runs 4 validators of the built binary that take a
// snapshot every 10 blocks, while transfers flow, and checks:
//   - a new observer started with --sync snapshot on an empty data dir
//     joins from the validators' snapshot (its history starts there, and
//     a block before it is answered "before_snapshot"), reports the same
//     block hashes and state roots as a validator, and keeps following;
//   - `snapshot export` of a stopped validator's data dir and `snapshot
//     import` into a fresh one round-trip, and a tampered file is refused
//     with exit status 1, leaving no database behind;
//   - the validator restarted on the imported data dir (no signer state)
//     arms the double-sign watch, catches up and the chain goes on.
func TestSnapshotJoinAndCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("real-process cluster test")
	}
	t.Setenv("SOV_SNAPSHOT_INTERVAL", "10")
	obsDir := observerDir(t)
	c := newCluster(t, 4, []string{observerID(t, obsDir)})
	urls := []string{c.rpc(0), c.rpc(1), c.rpc(2), c.rpc(3)}
	c.waitHeight(2, 60*time.Second, urls...)

	g, _ := chain.LoadGenesis(c.procs.Layout.Genesis())
	nonce := 0
	transfers := func(n int) {
		for i := 0; i < n; i++ {
			from := i % devnet.Customers
			to := devnet.Address(devnet.Seed, "customer", (from+1)%devnet.Customers)
			tx := chain.NewTx(g.ChainID, uint64(nonce/devnet.Customers), chain.Transfer{To: to, Asset: "CNY", Amount: 1})
			nonce++
			if err := tx.Sign(devnet.Key(devnet.Seed, "customer", from)); err != nil {
				t.Fatal(err)
			}
			var h common.Hash
			if err := rpcCall(c.rpc(i%4), "sov_sendRawTransaction", []any{hexutil.Bytes(tx.Bytes())}, &h); err != nil {
				t.Fatal(err)
			}
		}
	}
	transfers(200)
	snapDir := filepath.Join(c.procs.Layout.NodeDir(0), "snapshots")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if files, _ := filepath.Glob(filepath.Join(snapDir, "*.sovsnap")); len(files) > 0 {
			var h uint64
			fmt.Sscanf(filepath.Base(files[len(files)-1]), "snapshot-%d.sovsnap", &h)
			if h > 1 {
				break // past the first one, taken at height 1
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("validator 0 took no snapshot in %s", snapDir)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A new observer joins from the snapshot.
	var boot []string
	for i := 0; i < 4; i++ {
		a, _ := devnet.ValidatorPeerAddr(i, c.procs.P2PPort+i)
		boot = append(boot, a)
	}
	obsRPC := freePort(t)
	c.startArgs(10, []string{"node", "--datadir", obsDir, "--genesis", c.procs.Layout.Genesis(), "--sync", "snapshot",
		"--p2p.listen", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", freePort(t)), "--p2p.bootnodes", strings.Join(boot, ","),
		"--rpc.addr", fmt.Sprintf("127.0.0.1:%d", obsRPC)})
	obsURL := fmt.Sprintf("http://127.0.0.1:%d", obsRPC)
	var info struct {
		FinalHeight uint64 `json:"final_height"`
		HistoryFrom uint64 `json:"history_from"`
	}
	deadline = time.Now().Add(90 * time.Second)
	for rpcCall(obsURL, "sov_chainInfo", nil, &info) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("observer never answered:\n%s", tail(c.logs[10].String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if info.HistoryFrom == 0 {
		t.Fatalf("observer's history starts at genesis: it did not join from a snapshot\n%s", tail(c.logs[10].String(), 3000))
	}
	base := info.HistoryFrom
	var blk blockInfo
	if base < 2 {
		t.Fatalf("observer joined at height %d, want a snapshot past height 1", base)
	}
	if err := rpcCall(obsURL, "sov_getBlockByNumber", []any{base - 1}, &blk); err == nil || !strings.Contains(err.Error(), "before the snapshot") {
		t.Fatalf("block %d from the observer: %v, want before the snapshot", base-1, err)
	}
	transfers(100)
	target := base + 15
	c.waitHeight(target, 90*time.Second, obsURL, c.rpc(0))
	for h := base; h <= target; h++ {
		if o, v := c.block(obsURL, h), c.block(c.rpc(0), h); o.Hash != v.Hash || o.StateRoot != v.StateRoot {
			t.Fatalf("height %d: observer has %s root %s, validator 0 %s root %s", h, o.Hash, o.StateRoot, v.Hash, v.StateRoot)
		}
	}

	// Offline export and import of validator 3.
	c.kill(3)
	work := t.TempDir()
	file := filepath.Join(work, "v3.sovsnap")
	out := mustRun(t, "snapshot", "export", "--datadir", c.procs.Layout.NodeDir(3), "--out", file)
	if !strings.Contains(out, "exported the state at height") {
		t.Fatalf("export said: %s", out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(work, "bad.sovsnap")
	raw[len(raw)*2/3] ^= 0x40
	if err := os.WriteFile(bad, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	badDir := filepath.Join(work, "bad")
	if o, e, code := run(t, "snapshot", "import", "--datadir", badDir, "--genesis", c.procs.Layout.Genesis(), bad); code != 1 || !strings.Contains(o+e, "snapshot refused") {
		t.Fatalf("tampered snapshot: exit %d, %s %s; want exit 1 and a refusal", code, o, e)
	}
	if entries, _ := os.ReadDir(filepath.Join(badDir, "chaindata")); len(entries) > 0 {
		t.Fatal("a refused import left a database behind")
	}
	newDir := filepath.Join(work, "node3")
	out = mustRun(t, "snapshot", "import", "--datadir", newDir, "--genesis", c.procs.Layout.Genesis(), file)
	if !strings.Contains(out, "imported the state at height") {
		t.Fatalf("import said: %s", out)
	}

	// Validator 3 on the imported data dir: no signer state, so it watches
	// before it signs; it catches up and the chain goes on.
	args, err := c.procs.Args(3)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "--datadir" {
			args[i+1] = newDir
		}
	}
	c.logs[3].Reset()
	c.startArgs(3, args)
	head, _ := c.info(c.rpc(0))
	c.waitHeight(head.FinalHeight+5, 90*time.Second, urls...)
	if !strings.Contains(c.logs[3].String(), "lost signer state") {
		t.Fatalf("validator 3 on an imported data dir did not arm the double-sign watch:\n%s", tail(c.logs[3].String(), 3000))
	}
	last, _ := c.info(c.rpc(3))
	if a, b := c.block(c.rpc(3), last.FinalHeight), c.block(c.rpc(0), last.FinalHeight); a != b {
		t.Fatalf("height %d: validator 3 has %+v, validator 0 %+v", last.FinalHeight, a, b)
	}
}
