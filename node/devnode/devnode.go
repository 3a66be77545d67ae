// Package devnode starts a real single-validator devnet node in-process for
// tests of the tools that read a chain over RPC (explorer, indexer), and
// drives traffic on it through the wallet client: transfers, escrows, bank
// feedback, releases and refunds. node/nodetest is the lighter twin for
// tests of the RPC service itself: no networking and blocks sealed on demand.
package devnode

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/bench"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// The devnet's insecure published keys. Alice and carol bank with bank A,
// bob and dave with bank B.
var (
	Alice = devnet.Key(devnet.Seed, "customer", 0)
	Bob   = devnet.Key(devnet.Seed, "customer", 1)
	Carol = devnet.Key(devnet.Seed, "customer", 2)
	Dave  = devnet.Key(devnet.Seed, "customer", 3)
	BankA = devnet.Key(devnet.Seed, "bank", 0)
	BankB = devnet.Key(devnet.Seed, "bank", 1)
)

// Addr is key's address.
func Addr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

// Node is a running node with a client on its RPC.
type Node struct {
	Node   *node.Node
	Client *wallet.Client
	Ctx    context.Context // ends when the test does, or after 3 minutes
	t      testing.TB
}

// Genesis is the devnet genesis with short timings: an empty block every
// 100 ms, a 3 s protection period and a 2 s feedback deadline (so records
// become overdue within a test).
func Genesis() *chain.Genesis {
	g := devnet.DefaultGenesis(1)
	g.Params.EmptyBlockInterval = chain.Duration(100 * time.Millisecond)
	g.Params.ProtectionPeriod = chain.Duration(3 * time.Second)
	g.Params.FeedbackDeadline = chain.Duration(2 * time.Second)
	return g
}

// Start runs a validator node on dir with RPC on a free loopback port;
// configure, when not nil, adjusts its config. The node closes when the
// test ends.
func Start(t testing.TB, dir string, configure func(*node.Config)) *Node {
	t.Helper()
	cfg := node.Config{
		DataDir: dir, Genesis: Genesis(),
		Key: devnet.Key(devnet.Seed, "validator", 0), HashChainSecret: devnet.HashChainSecret(devnet.Seed, 0),
		RPCAddr: "127.0.0.1:0",
		// as `sovereign devnet`: no access control, no rate limit (the
		// tests drive load through it)
		RPCAuth: node.RPCAuthOff, RPCLimits: rpc.Config{RequestRate: -1},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if configure != nil {
		configure(&cfg)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		t.Fatal(err)
	}
	c, err := wallet.Dial(n.RPCURL())
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(func() { cancel(); c.Close(); n.Close() })
	return &Node{Node: n, Client: c, Ctx: ctx, t: t}
}

// Final waits until a submitted transaction is final and accepted.
func (c *Node) Final(tx *chain.Tx, err error) *rpc.Transaction {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("submit: %v", err)
	}
	got, err := c.Client.WaitFinal(c.Ctx, tx.Hash())
	if err != nil {
		c.t.Fatalf("tx %s: %v", tx.Hash(), err)
	}
	return got
}

// Refused waits until a submitted transaction is refused with code (at
// admission or in its block).
func (c *Node) Refused(code string) func(tx *chain.Tx, err error) {
	return func(tx *chain.Tx, err error) { c.refused(code, tx, err) }
}

func (c *Node) refused(code string, tx *chain.Tx, err error) {
	c.t.Helper()
	if err == nil {
		_, err = c.Client.WaitFinal(c.Ctx, tx.Hash())
	}
	if !wallet.IsCode(err, code) {
		c.t.Fatalf("want %s, got %v", code, err)
	}
}

// Traffic sends a transfer of 0.01 CNY from carol to dave and back every
// interval until ctx ends, and returns a function that waits for it to stop.
func (c *Node) Traffic(ctx context.Context, interval time.Duration) (wait func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		from, to := Carol, Dave
		for ctx.Err() == nil {
			if tx, err := c.Client.Transfer(ctx, from, Addr(to), "CNY", "0.01"); err == nil {
				c.Client.WaitFinal(ctx, tx.Hash())
			}
			from, to = to, from
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
	}()
	return wg.Wait
}

// Workload runs rounds of a fixed mix and waits until all of it is final:
// each round alice pays bob, bob pays carol, alice holds for bob and bank A
// confirms the hold (every fourth round first with a wrong amount, which
// flags the escrow mismatched); the escrows of even rounds are released and
// bank A confirms the debit, odd ones are refunded by bob (and stay waiting
// for the refund's feedback); every third round bank A reports a feedback
// naming no record. It returns the escrow ids.
func (c *Node) Workload(rounds int) []common.Hash {
	c.t.Helper()
	cl, ctx := c.Client, c.Ctx
	var ids []common.Hash
	for i := range rounds {
		c.Final(cl.Transfer(ctx, Alice, Addr(Bob), "CNY", fmt.Sprintf("%d.%02d", 1+i, i%100)))
		c.Final(cl.Transfer(ctx, Bob, Addr(Carol), "CNY", "0.50"))
		hold, err := cl.Hold(ctx, Alice, Addr(Bob), "CNY", "10.00", time.Hour, common.Address{})
		c.Final(hold, err)
		id := hold.Hash()
		ids = append(ids, id)
		if i%4 == 0 {
			c.Refused("feedback_mismatch")(cl.Feedback(ctx, BankA, id, "hold_placed", "CNY", "10.01", fmt.Sprintf("A-HOLD-%d-WRONG", i)))
		}
		c.Final(cl.Feedback(ctx, BankA, id, "hold_placed", "CNY", "10.00", fmt.Sprintf("A-HOLD-%d", i)))
		if i%2 == 0 {
			c.Final(cl.Release(ctx, Alice, id, ""))
			c.Final(cl.Feedback(ctx, BankA, id, "debit_executed", "CNY", "10.00", fmt.Sprintf("A-DEBIT-%d", i)))
		} else {
			c.Final(cl.Refund(ctx, Bob, id))
		}
		if i%3 == 0 {
			stray := crypto.Keccak256Hash([]byte(fmt.Sprintf("no such record %d", i)))
			c.Refused("feedback_mismatch")(cl.Feedback(ctx, BankA, stray, "hold_placed", "CNY", "1.00", fmt.Sprintf("A-STRAY-%d", i)))
		}
	}
	return ids
}

// Burst sends n transfers of 0.01 CNY from carol to dave, a batch of
// rpc.MaxBatchTxs at a time without waiting between them (so blocks fill
// up), and waits for each batch to be final (the pool holds at most 1,000
// per sender).
func (c *Node) Burst(n int) {
	c.t.Helper()
	gc, err := gethrpc.DialContext(c.Ctx, c.Node.RPCURL())
	if err != nil {
		c.t.Fatal(err)
	}
	defer gc.Close()
	nonce, err := c.Client.NextNonce(c.Ctx, Addr(Carol))
	if err != nil {
		c.t.Fatal(err)
	}
	chainID := c.Node.Ledger().Genesis().ChainID
	for sent := 0; sent < n; {
		var raws []hexutil.Bytes
		var last *chain.Tx
		for ; sent < n && len(raws) < rpc.MaxBatchTxs; sent++ {
			tx, err := wallet.SignTx(chainID, nonce, chain.Transfer{To: Addr(Dave), Asset: "CNY", Amount: 1}, Carol)
			if err != nil {
				c.t.Fatal(err)
			}
			raws, last, nonce = append(raws, tx.Bytes()), tx, nonce+1
		}
		var res []rpc.SubmitResult
		if err := gc.CallContext(c.Ctx, &res, "sov_sendRawTransactions", raws); err != nil {
			c.t.Fatal(err)
		}
		for _, r := range res {
			if r.Code != "" {
				c.t.Fatalf("burst transfer refused: %s %s", r.Code, r.Error)
			}
		}
		c.Final(last, nil)
	}
}

// Load carries transfers among 1,000 accounts with the load generator
// behind `sovereign bench`, as many as the environment variable env says
// (default def), waits until they are final and returns how many. It has
// its own hour-long deadline, for big chains.
func (c *Node) Load(env string, def int) int {
	c.t.Helper()
	n := def
	if s := os.Getenv(env); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			c.t.Fatalf("%s=%q: %v", env, s, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if _, err := bench.Run(ctx, bench.Config{RPC: []string{c.Node.RPCURL()}, Accounts: 1000, Txs: n, Timeout: 10 * time.Minute}); err != nil {
		c.t.Fatalf("load of %d transfers: %v", n, err)
	}
	return n
}
