package wallet

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
)

type fixture struct {
	chain *nodetest.Chain
	keys  nodetest.Keys
	url   string
	c     *Client
	ctx   context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c, keys := nodetest.New()
	url := c.Serve(t)
	client, err := Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return &fixture{chain: c, keys: keys, url: url, c: client, ctx: ctx}
}

// sealSoon seals a block after a short delay, as a node would.
func (f *fixture) sealSoon() {
	go func() {
		time.Sleep(30 * time.Millisecond)
		f.chain.Seal()
	}()
}

func TestTransferAndWait(t *testing.T) {
	f := newFixture(t)
	bob := nodetest.Addr(f.keys.Bob)
	tx, err := f.c.Transfer(f.ctx, f.keys.Alice, bob, "CNY", "12.34")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.c.Transaction(f.ctx, tx.Hash())
	if err != nil || got.Status != StatusPending || got.Body.AmountUnits == nil || *got.Body.AmountUnits != 1234 {
		t.Fatalf("pending: %+v %v", got, err)
	}
	f.sealSoon()
	got, err = f.c.WaitFinal(f.ctx, tx.Hash())
	if err != nil || got.Status != StatusFinal || !got.Receipt.OK {
		t.Fatalf("final: %+v %v", got, err)
	}
	acct, err := f.c.Account(f.ctx, bob, "CNY")
	if err != nil || acct.Balances[0].Available != "12.34" {
		t.Fatalf("bob: %+v %v", acct, err)
	}
	alice, err := f.c.Account(f.ctx, nodetest.Addr(f.keys.Alice), "")
	if err != nil || alice.Nonce != 1 || alice.Balances[0].Available != "87.66" {
		t.Fatalf("alice: %+v %v", alice, err)
	}
	// The next transfer picks up the new nonce by itself.
	tx2, err := f.c.Transfer(f.ctx, f.keys.Alice, bob, "CNY", "1")
	if err != nil || tx2.Nonce() != 1 {
		t.Fatalf("second transfer: %v", err)
	}
}

func TestRejections(t *testing.T) {
	f := newFixture(t)
	bob := nodetest.Addr(f.keys.Bob)

	// At admission: an RPCError with the string code; errors.Is sees the chain sentinel.
	tx, err := f.c.Transfer(f.ctx, f.keys.Alice, bob, "CNY", "1000")
	var re *RPCError
	if !errors.As(err, &re) || re.Code != "insufficient_funds" || !re.Rejected() || re.Hash == nil || *re.Hash != tx.Hash() {
		t.Fatalf("admission rejection: %#v", err)
	}
	if !errors.Is(err, chain.ErrInsufficientFunds) || errors.Is(err, chain.ErrBadNonce) {
		t.Fatal("errors.Is does not see the rejection code")
	}
	// WaitFinal on an admission-rejected hash reports the same code.
	if _, err := f.c.WaitFinal(f.ctx, tx.Hash()); !IsCode(err, "insufficient_funds") {
		t.Fatalf("wait on rejected: %v", err)
	}

	// In a block: the pool admits a transfer to an unregistered account (it
	// does not look up recipients); the ledger refuses it.
	a, err := f.c.Transfer(f.ctx, f.keys.Alice, bob, "CNY", "60")
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.c.Transfer(f.ctx, f.keys.Alice, nodetest.Addr(f.keys.Carol), "CNY", "1")
	if err != nil || b.Nonce() != a.Nonce()+1 {
		t.Fatalf("second transfer at pending nonce: %v", err)
	}
	f.sealSoon()
	if _, err := f.c.WaitFinal(f.ctx, a.Hash()); err != nil {
		t.Fatal(err)
	}
	got, err := f.c.WaitFinal(f.ctx, b.Hash())
	if !errors.As(err, &re) || re.Code != "unknown_account" || got == nil || got.Status != StatusRejected || !strings.Contains(err.Error(), "rejected in block 1") {
		t.Fatalf("receipt rejection: %v %+v", err, got)
	}
}

func TestBankTransactions(t *testing.T) {
	f := newFixture(t)
	f.chain.AutoSeal = true
	carol := nodetest.Addr(f.keys.Carol)
	tx, err := f.c.RegisterAccount(f.ctx, f.keys.Bank, carol)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.WaitFinal(f.ctx, tx.Hash()); err != nil {
		t.Fatal(err)
	}
	if tx, err = f.c.Mint(f.ctx, f.keys.Bank, carol, "JPY", "500"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.WaitFinal(f.ctx, tx.Hash()); err != nil {
		t.Fatal(err)
	}
	acct, err := f.c.Account(f.ctx, carol, "JPY")
	if err != nil || acct.Balances[0].Available != "500" || acct.Bank != nodetest.Addr(f.keys.Bank) {
		t.Fatalf("carol: %+v %v", acct, err)
	}
	if _, err = f.c.Burn(f.ctx, f.keys.Bank, "CNY", "1"); !IsCode(err, "insufficient_funds") {
		t.Fatalf("burn from an empty balance: %v", err)
	}
	// Alice is no issuer: the pool refuses with the ledger's own code
	// (ledger.CheckAdmission), before any block.
	if _, err = f.c.Mint(f.ctx, f.keys.Alice, carol, "CNY", "1"); !IsCode(err, "not_issuer") {
		t.Fatalf("mint by a customer: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	f := newFixture(t)
	bob := nodetest.Addr(f.keys.Bob)
	if _, err := f.c.Transfer(f.ctx, f.keys.Alice, bob, "EUR", "1"); err == nil || !strings.Contains(err.Error(), `unknown asset "EUR"`) || !strings.Contains(err.Error(), "CNY") {
		t.Fatalf("unknown asset: %v", err)
	}
	if _, err := f.c.Transfer(f.ctx, f.keys.Alice, bob, "CNY", "1.234"); err == nil || !strings.Contains(err.Error(), "more than 2 decimals") {
		t.Fatalf("too many decimals: %v", err)
	}
	if _, err := f.c.Account(f.ctx, nodetest.Addr(f.keys.Carol), ""); !IsCode(err, rpc.ErrCodeAccountNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	if _, err := f.c.Account(f.ctx, bob, "XYZ"); !IsCode(err, rpc.ErrCodeInvalidParams) {
		t.Fatalf("unknown asset on the node: %v", err)
	}
	if _, err := f.c.Transaction(f.ctx, common.Hash{9}); !IsCode(err, rpc.ErrCodeTxNotFound) {
		t.Fatalf("unknown tx: %v", err)
	}
	if _, err := f.c.BlockByNumber(f.ctx, rpc.Height(50), false); !IsCode(err, rpc.ErrCodeBlockNotFound) {
		t.Fatalf("unknown block: %v", err)
	}
	// Carol has no account: the sender check fails before signing.
	if _, err := f.c.Transfer(f.ctx, f.keys.Carol, bob, "CNY", "1"); !IsCode(err, rpc.ErrCodeAccountNotFound) {
		t.Fatalf("unregistered sender: %v", err)
	}

	// Unreachable node: a closed port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := Dial("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ChainInfo(f.ctx); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("unreachable: %v", err)
	}
	if _, err := Dial("localhost:8545"); err == nil {
		t.Fatal("url without scheme accepted")
	}
	if _, err := Dial("ftp://x:1"); err == nil {
		t.Fatal("ftp url accepted")
	}
}

func TestReadMethods(t *testing.T) {
	f := newFixture(t)
	info, err := f.c.ChainInfo(f.ctx)
	if err != nil || info.ChainID != nodetest.ChainID || len(info.Assets) != 3 {
		t.Fatalf("chain info: %+v %v", info, err)
	}
	if a, err := f.c.DefaultAsset(f.ctx); err != nil || a != "CNY" {
		t.Fatalf("default asset %q %v", a, err)
	}
	g, err := f.c.Genesis(f.ctx)
	if err != nil || g.ChainID != info.ChainID {
		t.Fatalf("genesis: %v", err)
	}
	f.chain.Seal()
	b, err := f.c.BlockByNumber(f.ctx, rpc.Latest, true)
	if err != nil || b.Height != 1 || b.Certificate == nil {
		t.Fatalf("latest block: %+v %v", b, err)
	}
}

func TestWebSocketClient(t *testing.T) {
	f := newFixture(t)
	c, err := DialContext(f.ctx, "ws"+strings.TrimPrefix(f.url, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	heads := make(chan rpc.Header, 1)
	sub, err := c.SubscribeFinalBlocks(f.ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	tx, err := c.Transfer(f.ctx, f.keys.Alice, nodetest.Addr(f.keys.Bob), "CNY", "0.01")
	if err != nil {
		t.Fatal(err)
	}
	f.sealSoon()
	select {
	case h := <-heads:
		if h.Height != 1 {
			t.Fatalf("head %d", h.Height)
		}
	case <-f.ctx.Done():
		t.Fatal("no head")
	}
	if got, err := c.WaitFinal(f.ctx, tx.Hash()); err != nil || got.Status != StatusFinal {
		t.Fatalf("wait over ws: %v", err)
	}
}

func TestWaitFinalTimeout(t *testing.T) {
	f := newFixture(t)
	tx, err := f.c.Transfer(f.ctx, f.keys.Alice, nodetest.Addr(f.keys.Bob), "CNY", "0.01")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(f.ctx, 200*time.Millisecond)
	defer cancel()
	got, err := f.c.WaitFinal(ctx, tx.Hash())
	if !errors.Is(err, context.DeadlineExceeded) || got == nil || got.Status != StatusPending {
		t.Fatalf("timeout: %+v %v", got, err)
	}
}
