package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/ledger"
)

func addr(i int) common.Address { return crypto.PubkeyToAddress(chaingen.Customer(i).PublicKey) }

// buildMixed makes a 4-validator chain of blocks that carry transfers,
// escrows (held, confirmed by the bank, released, refunded, and voided by
// expiry), mints and a rejected overdraft, on store.
func buildMixed(t testing.TB, store ledger.Store, blocks int) *chaingen.Chain {
	t.Helper()
	c, err := chaingen.New(store, chaingen.Genesis(4))
	if err != nil {
		t.Fatal(err)
	}
	alice, bob, bank := chaingen.Customer(0), chaingen.Customer(1), chaingen.Bank(0)
	var prevHold, prevRefunded common.Hash
	var requests []common.Hash
	for i := 0; i < blocks; i++ {
		next := c.Ledger.Head().Time + chaingen.BlockInterval
		txs := c.Transfers(20)
		hold := c.Sign(alice, chain.Hold{Payee: addr(1), Asset: "CNY", Amount: 1000, Expiry: next + 3600_000})
		refunded := c.Sign(alice, chain.Hold{Payee: addr(1), Asset: "CNY", Amount: 300, Expiry: next + 3600_000})
		expiring := c.Sign(alice, chain.Hold{Payee: addr(2), Asset: "CNY", Amount: 7, Expiry: next + 1})
		txs = append(txs, hold, refunded, expiring,
			c.Sign(bank, chain.Feedback{Kind: chain.FeedbackHoldPlaced, Record: hold.Hash(), Asset: "CNY", Amount: 1000, Ref: fmt.Sprintf("A-%d", i)}),
			c.Sign(bank, chain.Mint{To: addr(2), Asset: "CNY", Amount: 5}),
			c.Sign(bob, chain.Transfer{To: addr(0), Asset: "USD", Amount: 1 << 40}), // overdraft: rejected into its receipt
		)
		if i%3 == 2 {
			txs = append(txs, c.Sign(bank, chain.Feedback{Kind: chain.FeedbackHoldPlaced, Record: crypto.Keccak256Hash([]byte{byte(i)}), Asset: "CNY", Amount: 1, Ref: "STRAY"}))
		}
		if prevHold != (common.Hash{}) {
			txs = append(txs, c.Sign(alice, chain.Release{Escrow: prevHold}))
		}
		if prevRefunded != (common.Hash{}) {
			txs = append(txs, c.Sign(bob, chain.Refund{Escrow: prevRefunded}))
		}
		prevRefunded, prevHold = refunded.Hash(), hold.Hash()
		if i%4 == 1 { // dave asks carol to pay, directly and into escrow; she accepts both next block
			for _, mode := range []chain.SettleMode{chain.SettleDirect, chain.SettleEscrow} {
				body := chain.PaymentRequest{Payer: addr(2), Asset: "CNY", Amount: 250, Expiry: next + 60_000, Ref: fmt.Sprintf("ORDER-%d-%d", i, mode), Mode: mode}
				if mode == chain.SettleEscrow {
					body.HoldFor = 3_600_000
				}
				req := c.Sign(chaingen.Customer(3), body)
				txs = append(txs, req)
				requests = append(requests, req.Hash())
			}
		} else {
			for _, id := range requests {
				txs = append(txs, c.Sign(chaingen.Customer(2), chain.Accept{Request: id, Asset: "CNY", Amount: 250}))
			}
			requests = nil
		}
		if i == 4 { // validator 1 signed two blocks at one height and round: alice reports it
			txs = append(txs, c.Sign(alice, equivocation(t, c, 1)))
		}
		if i%2 == 1 { // bob spends what unlocked (locks from releases mature after 5 s)
			txs = append(txs, c.Sign(bob, chain.Transfer{To: addr(2), Asset: "CNY", Amount: 3}))
		}
		if i == 6 { // two silent key holders: the block comes in round 2
			c.Round = 2
		}
		if _, err := c.Next(txs); err != nil {
			t.Fatalf("block %d: %v", i+1, err)
		}
	}
	return c
}

var (
	mixedOnce sync.Once
	mixedFile []byte
)

// mixedChainFile is a 12-block 4-validator chain as a chain file, built once.
func mixedChainFile(t testing.TB) []byte {
	mixedOnce.Do(func() {
		c := buildMixed(t, ledger.NewMemStore(), 12)
		var buf bytes.Buffer
		if err := c.Export(&buf); err != nil {
			t.Fatal(err)
		}
		mixedFile = buf.Bytes()
	})
	if mixedFile == nil {
		t.Fatal("fixture chain failed")
	}
	return mixedFile
}

// parsed is a chain file taken apart for tampering.
type parsed struct {
	genesis *chain.Genesis
	blocks  []*chain.Block
	final   *chain.Certificate
}

func parse(t testing.TB, raw []byte) *parsed {
	t.Helper()
	r, err := chainfile.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := &parsed{genesis: r.Genesis()}
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p.blocks = append(p.blocks, b)
	}
	p.final = r.Final()
	return p
}

func (p *parsed) encode(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := chainfile.NewWriter(&buf, p.genesis)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range p.blocks {
		if err := w.WriteBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(p.final); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readerSource is a chain file in memory as an audit source.
type readerSource struct {
	r    *chainfile.Reader
	size int
}

func memSource(t testing.TB, raw []byte) Source {
	r, err := chainfile.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return &readerSource{r: r, size: len(raw)}
}

func (s *readerSource) Name() string                               { return "test file" }
func (s *readerSource) Genesis() *chain.Genesis                    { return s.r.Genesis() }
func (s *readerSource) Next(context.Context) (*chain.Block, error) { return s.r.Next() }
func (s *readerSource) Final() *chain.Certificate                  { return s.r.Final() }
func (s *readerSource) Progress() (int64, int64)                   { return s.r.Offset(), int64(s.size) }
func (s *readerSource) Close() error                               { return nil }

func audit(t testing.TB, src Source, cfg Config) *Report {
	t.Helper()
	rep, err := Run(context.Background(), src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// equivocation is evidence of validator i precommitting two blocks at
// height 1, round 0.
func equivocation(t testing.TB, c *chaingen.Chain, i int) chain.Evidence {
	vote := func(block common.Hash) chain.SignedVote {
		v := chain.SignedVote{Type: chain.VotePrecommit, Height: 1, Round: 0, BlockHash: block, Validator: crypto.PubkeyToAddress(c.Keys[i].PublicKey)}
		sig, err := crypto.Sign(v.SignHash(c.Genesis.ChainID).Bytes(), c.Keys[i])
		if err != nil {
			t.Fatal(err)
		}
		v.Sig = sig
		return v
	}
	return chain.Evidence{A: vote(common.Hash{1}), B: vote(common.Hash{2})}
}
