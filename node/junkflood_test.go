package node

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// recordCounter counts log records at Info and above, and the refusal
// summaries among them.
type recordCounter struct {
	mu        sync.Mutex
	records   int
	summaries int
}

func (c *recordCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (c *recordCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records++
	if r.Message == "transactions refused" {
		c.summaries++
	}
	return nil
}
func (c *recordCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *recordCounter) WithGroup(string) slog.Handler      { return c }

func (c *recordCounter) counts() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records, c.summaries
}

// TestJunkFloodOnNode sends 30,000 transactions no block would accept
// (3,000 with -short) to a running node over JSON-RPC: each is refused at
// admission with its ledger code, none reaches the pool or a block, blocks
// go on, and the node's log gets a bounded number of lines, not one per
// transaction.
func TestJunkFloodOnNode(t *testing.T) {
	n := 30_000
	if testing.Short() {
		n = 3_000
	}
	const id = "sovereign-devnet"
	alice, bankA := devnet.Key(devnet.Seed, "customer", 0), devnet.Key(devnet.Seed, "bank", 0)
	bob := devnet.Address(devnet.Seed, "customer", 1)
	stranger, _ := crypto.GenerateKey()
	want := map[string]int{}
	raws := make([]hexutil.Bytes, n)
	for i := range raws {
		var tx *chain.Tx
		key := alice
		switch i % 3 {
		case 0:
			tx, key, want["unknown_account"] = chain.NewTx(id, 0, chain.Transfer{To: bob, Asset: "CNY", Amount: uint64(i + 1)}), stranger, want["unknown_account"]+1
		case 1:
			tx, want["unknown_asset"] = chain.NewTx(id, 0, chain.Transfer{To: bob, Asset: "XAU", Amount: uint64(i + 1)}), want["unknown_asset"]+1
		case 2:
			tx, key, want["not_issuer"] = chain.NewTx(id, 0, chain.Burn{Asset: "USD", Amount: uint64(i + 1)}), bankA, want["not_issuer"]+1
		}
		if err := tx.Sign(key); err != nil {
			t.Fatal(err)
		}
		raws[i] = tx.Bytes()
	}

	logs := &recordCounter{}
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	const every = 200 * time.Millisecond
	nd, err := New(Config{
		DataDir: t.TempDir(), Genesis: g, RPCAddr: "127.0.0.1:0", Logger: slog.New(logs),
		Key: devnet.Key(devnet.Seed, "validator", 0), HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		Pool: txpool.Config{LogEvery: every},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nd.Start(); err != nil {
		t.Fatal(err)
	}
	defer nd.Close()
	client, err := gethrpc.Dial(nd.RPCURL())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	before, _ := logs.counts()
	startHeight := nd.Ledger().Head().Height

	start := time.Now()
	got := map[string]int{}
	for i := 0; i < n; i += rpc.MaxBatchTxs {
		var res []rpc.SubmitResult
		if err := client.Call(&res, "sov_sendRawTransactions", raws[i:min(i+rpc.MaxBatchTxs, n)]); err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Code == "" {
				t.Fatalf("junk transaction %s admitted", r.Hash)
			}
			got[r.Code]++
		}
	}
	elapsed := time.Since(start)
	for code, k := range want {
		if got[code] != k {
			t.Fatalf("refusals by code %v, want %v", got, want)
		}
	}
	if nd.Pool().Len() != 0 {
		t.Fatalf("pool holds %d transactions", nd.Pool().Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nd.backend.WaitFinal(ctx, startHeight+3); err != nil {
		t.Fatalf("blocks stopped during the flood: %v", err)
	}
	records, summaries := logs.counts()
	bound := int(elapsed/every) + 2
	if summaries == 0 || summaries > bound || records-before > bound+10 {
		t.Fatalf("%d log lines (%d refusal summaries) for %d refusals in %s; want at most %d summaries and a few other lines",
			records-before, summaries, n, elapsed, bound)
	}
	t.Logf("%d refusals in %s: %d log lines, %d of them summaries", n, elapsed, records-before, summaries)
}
