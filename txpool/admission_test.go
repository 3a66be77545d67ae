package txpool_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	sovledger "github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// admissionChain is the devnet genesis on the in-memory store with a pool
// over the node's own view of it: the real ledger rules, not a stand-in.
func admissionChain(t testing.TB, cfg txpool.Config) (*sovledger.Ledger, *txpool.Pool) {
	t.Helper()
	l, err := sovledger.OpenLedger(sovledger.NewMemStore(), devnet.DefaultGenesis(1))
	if err != nil {
		t.Fatal(err)
	}
	return l, txpool.New(cfg, l.Genesis().ChainID, node.NewPoolView(l))
}

var (
	alice, bob   = devnet.Key(devnet.Seed, "customer", 0), devnet.Key(devnet.Seed, "customer", 1)
	bankA, bankB = devnet.Key(devnet.Seed, "bank", 0), devnet.Key(devnet.Seed, "bank", 1) // bank A does not issue USD
	stranger, _  = crypto.GenerateKey()
)

func keyAddr(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func signed(t testing.TB, chainID string, nonce uint64, body chain.Body, keys ...*ecdsa.PrivateKey) *chain.Tx {
	t.Helper()
	tx := chain.NewTx(chainID, nonce, body)
	for _, k := range keys {
		if err := tx.Sign(k); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}

// TestAdmissionMatchesInclusion has one row per refusal code: the pool
// must refuse each transaction with the code the ledger gives it, and
// admit the valid ones. Each refused row is also run through
// ledger.ApplyTx, what block building runs, to show the ledger drops or
// rejects it with the same code: admission and inclusion are one check.
func TestAdmissionMatchesInclusion(t *testing.T) {
	const id = "sovereign-devnet"
	bobAddr := keyAddr(bob)
	rows := []struct {
		name string
		tx   *chain.Tx
		code string // "" admitted
	}{
		{"valid transfer", signed(t, id, 0, chain.Transfer{To: bobAddr, Asset: "CNY", Amount: 1}, alice), ""},
		{"valid mint by issuer", signed(t, id, 0, chain.Mint{To: bobAddr, Asset: "USD", Amount: 1}, bankB), ""},
		{"wrong chain", signed(t, "other-chain", 0, chain.Transfer{To: bobAddr, Asset: "CNY", Amount: 1}, alice), "wrong_chain"},
		{"unregistered sender", signed(t, id, 0, chain.Transfer{To: bobAddr, Asset: "CNY", Amount: 1}, stranger), "unknown_account"},
		{"extra signature", signed(t, id, 0, chain.Release{Escrow: common.Hash{1}}, alice, bob), "bad_signature"}, // a release takes no co-signer
		{"duplicate signature", signed(t, id, 0, chain.Withdraw{Asset: "CNY", Amount: 1, Details: []byte("x")}, alice, alice), "bad_signature"},
		{"unknown asset", signed(t, id, 0, chain.Transfer{To: bobAddr, Asset: "XAU", Amount: 1}, alice), "unknown_asset"},
		{"burn by non-issuer", signed(t, id, 0, chain.Burn{Asset: "USD", Amount: 1}, bankA), "not_issuer"},
		{"mint by a customer", signed(t, id, 0, chain.Mint{To: bobAddr, Asset: "CNY", Amount: 1}, alice), "not_issuer"},
		{"register by a customer", signed(t, id, 0, chain.RegisterAccount{Account: keyAddr(stranger)}, alice), "not_bank"},
		{"feedback by a customer", signed(t, id, 0, chain.Feedback{Kind: chain.FeedbackHoldPlaced, Ref: "r", Asset: "CNY", Amount: 1}, alice), "not_bank"},
		{"hash chain by a customer", signed(t, id, 0, chain.CommitHashChain{Tip: common.Hash{1}, Length: 1}, alice), "not_validator"},
		{"zero amount", signed(t, id, 0, chain.Transfer{To: bobAddr, Asset: "CNY"}, alice), "zero_amount"},
		{"self transfer", signed(t, id, 0, chain.Transfer{To: keyAddr(alice), Asset: "CNY", Amount: 1}, alice), "self_transfer"},
		{"empty payout details", signed(t, id, 0, chain.Withdraw{Asset: "CNY", Amount: 1}, alice), "malformed"},
	}
	l, pool := admissionChain(t, txpool.Config{})
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			err := pool.Add([]*chain.Tx{r.tx})[0]
			if got := chain.CodeOf(err); got != r.code {
				t.Fatalf("pool: code %q (%v), want %q", got, err, r.code)
			}
			if r.code == "" || r.code == "wrong_chain" {
				return
			}
			// What the ledger does with it in a block (on a fresh state:
			// the same check, reached through ApplyTx).
			st := l.State()
			rec, err := sovledger.ApplyTx(st, id, r.tx)
			code := chain.CodeOf(err)
			if err == nil {
				code = rec.Code
			}
			if code != r.code {
				t.Fatalf("ledger: code %q, pool said %q", code, r.code)
			}
		})
	}
	if got := pool.Len(); got != 2 {
		t.Fatalf("pool holds %d transactions, want the 2 valid ones", got)
	}
}

// countingHandler counts log records.
type countingHandler struct {
	mu      sync.Mutex
	records int
	total   int64 // sum of the summaries' "total"
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records++
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "total" {
			h.total += a.Value.Int64()
		}
		return true
	})
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// junk is n transactions, each of which the ledger refuses: unregistered
// senders, unknown assets, burns and mints without authority, extra
// signatures.
func junk(t testing.TB, n int) ([]*chain.Tx, map[string]int) {
	const id = "sovereign-devnet"
	strangers := make([]*ecdsa.PrivateKey, 50)
	for i := range strangers {
		strangers[i], _ = crypto.GenerateKey()
	}
	bobAddr := keyAddr(bob)
	want := map[string]int{}
	txs := make([]*chain.Tx, n)
	for i := range txs {
		amount := uint64(i + 1) // every transaction distinct
		var tx *chain.Tx
		switch i % 5 {
		case 0:
			tx, want["unknown_account"] = signed(t, id, 0, chain.Transfer{To: bobAddr, Asset: "CNY", Amount: amount}, strangers[i%50]), want["unknown_account"]+1
		case 1:
			tx, want["unknown_asset"] = signed(t, id, 0, chain.Transfer{To: bobAddr, Asset: "XAU", Amount: amount}, alice), want["unknown_asset"]+1
		case 2:
			tx, want["not_issuer"] = signed(t, id, 0, chain.Burn{Asset: "USD", Amount: amount}, bankA), want["not_issuer"]+1
		case 3:
			tx, want["not_issuer"] = signed(t, id, 0, chain.Mint{To: bobAddr, Asset: "CNY", Amount: amount}, bob), want["not_issuer"]+1
		case 4:
			release := chain.Release{Escrow: common.BigToHash(new(big.Int).SetUint64(amount))} // a release takes no co-signer
			tx, want["bad_signature"] = signed(t, id, 0, release, alice, bob), want["bad_signature"]+1
		}
		txs[i] = tx
	}
	return txs, want
}

// TestJunkFloodRefusedQuietly sends 30,000 transactions no block would
// accept (3,000 with -short): each is refused at admission with its code,
// none is pooled, and the log gets a bounded number of summary lines, not
// one line per transaction.
func TestJunkFloodRefusedQuietly(t *testing.T) {
	n := 30_000
	if testing.Short() {
		n = 3_000
	}
	txs, want := junk(t, n)
	h := &countingHandler{}
	const every = 100 * time.Millisecond
	_, pool := admissionChain(t, txpool.Config{Log: slog.New(h), LogEvery: every})
	start := time.Now()
	got := map[string]int{}
	for i := 0; i < n; i += 500 { // as gossip batches arrive
		for _, err := range pool.Add(txs[i:min(i+500, n)]) {
			if err == nil {
				t.Fatal("a junk transaction was admitted")
			}
			got[chain.CodeOf(err)]++
		}
	}
	elapsed := time.Since(start)
	time.Sleep(every)
	pool.Add(nil) // flushes the last summary
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("refusals by code %v, want %v", got, want)
	}
	if pool.Len() != 0 {
		t.Fatalf("pool holds %d junk transactions", pool.Len())
	}
	bound := int(elapsed/every) + 2
	if h.records > bound || h.records == 0 {
		t.Fatalf("%d log lines for %d refusals in %s; want 1..%d summaries", h.records, n, elapsed, bound)
	}
	if h.total != int64(n) {
		t.Fatalf("summaries count %d refusals, want %d", h.total, n)
	}
	t.Logf("%d refusals in %s, %d summary lines", n, elapsed, h.records)
}

// BenchmarkJunkAdmission is the pool's cost per junk transaction (decode,
// signature recovery, the ledger's admission check), beside the signature
// recovery alone: the flood costs no more than its signature checks. One
// worker, and a rejection cache of one, so that every transaction of every
// round is recovered again.
func BenchmarkJunkAdmission(b *testing.B) {
	txs, _ := junk(b, 1000)
	raws := make([][]byte, len(txs))
	for i, tx := range txs {
		raws[i] = tx.Bytes()
	}
	fresh := func(b *testing.B) []*chain.Tx {
		out := make([]*chain.Tx, len(raws))
		for i, raw := range raws {
			tx, err := chain.DecodeTx(raw)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = tx
		}
		return out
	}
	b.Run("recover-only", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			batch := fresh(b)
			b.StartTimer()
			for _, tx := range batch {
				_, _ = tx.Signers()
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/tx")
	})
	b.Run("pool-add", func(b *testing.B) {
		_, pool := admissionChain(b, txpool.Config{Workers: 1, RejectedCache: 1})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			batch := fresh(b)
			b.StartTimer()
			for _, err := range pool.Add(batch) {
				if err == nil || errors.Is(err, chain.ErrAlreadyKnown) {
					b.Fatal("junk admitted or remembered")
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(raws)), "ns/tx")
	})
}
