package node

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

func startNode(t *testing.T, dir string) *Node {
	t.Helper()
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	n, err := New(Config{
		DataDir:         dir,
		Genesis:         g,
		Key:             devnet.Key(devnet.Seed, "validator", 0),
		HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		RPCAddr:         "127.0.0.1:0",
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNodeFinalizesAndResumes submits transfers over real HTTP JSON-RPC,
// waits until they are final, restarts the node on the same directory and
// finds everything still there.
func TestNodeFinalizesAndResumes(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	client, err := gethrpc.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	alice := devnet.Key(devnet.Seed, "customer", 0)
	bob := devnet.Address(devnet.Seed, "customer", 1)
	var hashes []common.Hash
	for i := uint64(0); i < 20; i++ {
		tx := chain.NewTx("sovereign-devnet", i, chain.Transfer{To: bob, Asset: "CNY", Amount: 100})
		if err := tx.Sign(alice); err != nil {
			t.Fatal(err)
		}
		var h common.Hash
		if err := client.Call(&h, "sov_sendRawTransaction", hexutil.Bytes(tx.Bytes())); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if h != tx.Hash() {
			t.Fatalf("rpc returned hash %s, want %s", h, tx.Hash())
		}
		hashes = append(hashes, h)
	}
	waitStatus(t, client, hashes[len(hashes)-1], "final")
	checkMetrics(t, n.RPCURL()+"/metrics")
	want := 100_000_000 + 20*100 // 1,000,000.00 CNY + transfers, in minor units
	checkAvailable(t, n, bob, uint64(want))
	height := n.Ledger().Head().Height
	client.Close()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n = startNode(t, dir)
	defer n.Close()
	if got := n.Ledger().Head().Height; got < height {
		t.Fatalf("restarted at height %d, was %d", got, height)
	}
	if err := n.Ledger().CheckConsistency(); err != nil {
		t.Fatal(err)
	}
	checkAvailable(t, n, bob, uint64(want))
	client, err = gethrpc.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, h := range hashes {
		waitStatus(t, client, h, "final")
	}
	// the chain goes on after the restart
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.backend.WaitFinal(ctx, height+2); err != nil {
		t.Fatalf("no new blocks after restart: %v", err)
	}
}

func waitStatus(t *testing.T, c *gethrpc.Client, h common.Hash, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var res struct {
			Status string `json:"status"`
			Code   string `json:"code"`
		}
		err := c.Call(&res, "sov_getTransaction", h)
		if err == nil && res.Status == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tx %s: status %q (code %q, err %v), want %q", h, res.Status, res.Code, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkAvailable(t *testing.T, n *Node, a common.Address, want uint64) {
	t.Helper()
	acct, ok, err := n.Ledger().Account(a)
	if err != nil || !ok {
		t.Fatalf("account %s: %v %v", a, ok, err)
	}
	if got := acct.Balance("CNY").Available; got != want {
		t.Fatalf("%s has %d CNY, want %d", a, got, want)
	}
}

// checkMetrics: Prometheus series are served beside RPC and count what
// became final.
func checkMetrics(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"sovereign_final_height ", "sovereign_final_transactions_total 20", "sovereign_txpool_transactions "} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(string(body), "sovereign_signer_state_write_seconds_count ") || strings.Contains(string(body), "sovereign_signer_state_write_seconds_count 0\n") {
		t.Fatal("/metrics does not count the validator's signer state writes")
	}
}

// TestUnregisteredSenderIsRejected: a transaction the ledger cannot include
// (its sender was never registered) is refused at admission with its code,
// never pooled or offered to a block, and its status says so.
func TestUnregisteredSenderIsRejected(t *testing.T) {
	n := startNode(t, t.TempDir())
	defer n.Close()
	client, err := gethrpc.Dial(n.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	stranger := devnet.Key(devnet.Seed, "stranger", 0)
	tx := chain.NewTx("sovereign-devnet", 0, chain.RegisterAccount{Account: devnet.Address(devnet.Seed, "stranger", 1)})
	if err := tx.Sign(stranger); err != nil {
		t.Fatal(err)
	}
	var h common.Hash
	err = client.Call(&h, "sov_sendRawTransaction", hexutil.Bytes(tx.Bytes()))
	if err == nil || !strings.Contains(err.Error(), "unknown_account") {
		t.Fatalf("sending from an unregistered sender: %v", err)
	}
	h = tx.Hash()
	waitStatus(t, client, h, "rejected")
	if n.Pool().Has(h) {
		t.Fatal("the transaction is still in the pool")
	}
}
