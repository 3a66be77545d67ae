package ledger

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// BenchmarkBlockApplyCommit measures what a node does with a final block of
// transfers: recover every signature (cold, across all cores), run the
// ledger rules, update the state commitment and commit the block in one
// synced batch. Reported as transfers per second.
func BenchmarkBlockApplyCommit(b *testing.B) {
	const accounts, perBlock = 2000, 5000
	f := newFixture(b, accounts)
	b.ResetTimer()
	b.StopTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		txs := f.freshTxs(i*perBlock, perBlock, func(from *ecdsa.PrivateKey, to common.Address, _ int) chain.Body {
			return chain.Transfer{To: to, Asset: "CNY", Amount: 1}
		})
		applyBlocks(b, f, txs)
		total += len(txs)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tx/s")
}

// freshTxs signs n transactions, the k-th (counted from first) from customer
// k to customer k+1, and decodes each afresh so that no signer is cached:
// applying them pays for every signature recovery.
func (f *fixture) freshTxs(first, n int, body func(from *ecdsa.PrivateKey, to common.Address, j int) chain.Body) []*chain.Tx {
	txs := make([]*chain.Tx, n)
	for j := range txs {
		from := f.customers[(first+j)%len(f.customers)]
		to := addr(f.customers[(first+j+1)%len(f.customers)])
		tx := f.tx(from, body(from, to, j))
		txs[j], _ = chain.DecodeTx(tx.Bytes())
	}
	return txs
}

// BenchmarkRecoverSigner is the floor: one secp256k1 recovery.
func BenchmarkRecoverSigner(b *testing.B) {
	key := devnet.Key(testSeed, "x", 0)
	tx := chain.NewTx("c", 0, chain.Transfer{Asset: "CNY", Amount: 1})
	_ = tx.Sign(key)
	h := tx.SigningHash()
	sig := tx.Sigs()[0]
	for i := 0; i < b.N; i++ {
		if _, err := chain.RecoverSigner(h, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEscrowHoldRelease measures hold + release pairs applied the way
// a node applies final blocks (cold signature recovery, rules, state
// commitment, one synced batch per block): a block of holds, then a block
// releasing them. Compare with BenchmarkTwoTransfers, the same number of
// blocks and transactions as plain transfers.
func BenchmarkEscrowHoldRelease(b *testing.B) {
	const accounts, pairs = 2000, 2500
	f := newFixture(b, accounts)
	b.ResetTimer()
	b.StopTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		holds := f.freshTxs(i*pairs, pairs, func(_ *ecdsa.PrivateKey, to common.Address, _ int) chain.Body {
			return chain.Hold{Payee: to, Asset: "CNY", Amount: 1, Expiry: f.now + 3_600_000}
		})
		releases := f.freshTxs(i*pairs, pairs, func(_ *ecdsa.PrivateKey, _ common.Address, j int) chain.Body {
			return chain.Release{Escrow: holds[j].Hash()}
		})
		applyBlocks(b, f, holds, releases)
		total += pairs
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkTwoTransfers is BenchmarkEscrowHoldRelease's baseline: the same
// blocks with two plain transfers in place of each hold + release pair.
func BenchmarkTwoTransfers(b *testing.B) {
	const accounts, pairs = 2000, 2500
	f := newFixture(b, accounts)
	b.ResetTimer()
	b.StopTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		var blocks [2][]*chain.Tx
		for k := range blocks {
			blocks[k] = f.freshTxs(i*pairs, pairs, func(_ *ecdsa.PrivateKey, to common.Address, _ int) chain.Body {
				return chain.Transfer{To: to, Asset: "CNY", Amount: 1}
			})
		}
		applyBlocks(b, f, blocks[0], blocks[1])
		total += pairs
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pairs/s")
}

// applyBlocks builds and commits one block per list of transactions, timed.
func applyBlocks(b *testing.B, f *fixture, blocks ...[]*chain.Tx) {
	for _, txs := range blocks {
		tmpl := f.template()
		b.StartTimer()
		blk, ex, err := f.ledger.Build(tmpl, txs)
		if err != nil {
			b.Fatal(err)
		}
		if len(ex.Dropped) > 0 {
			b.Fatalf("dropped %d: %v", len(ex.Dropped), ex.Dropped[0].Err)
		}
		for _, r := range ex.Receipts {
			if r.Code != "" {
				b.Fatalf("receipt code %s", r.Code)
			}
		}
		if err := f.ledger.Commit(blk, f.certificate(blk.Hash(), blk.Height(), 0)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
}

// BenchmarkTrieUpdate is the state commitment's share of a block: reopen
// the trie at the committed root (as the ledger does after every commit),
// update 2,000 of 20,000 accounts and hash the new root, with the trie
// nodes served by the read cache or straight from goleveldb.
func BenchmarkTrieUpdate(b *testing.B) {
	const accounts, touched = 20000, 2000
	for _, cached := range []bool{true, false} {
		b.Run(map[bool]string{true: "cached", false: "uncached"}[cached], func(b *testing.B) {
			f := newFixture(b, accounts)
			db := f.ledger.store
			if !cached {
				db.nodes = nil
			}
			changes := make([]Change, touched)
			for i := range changes {
				key := chain.AccountKey(addr(f.customers[i*(accounts/touched)]))
				v, err := db.StateKV().Get(key)
				if err != nil || v == nil {
					b.Fatalf("account %d: %v", i, err)
				}
				changes[i] = Change{Key: key, Value: append(v, 0)}
			}
			root := f.ledger.Head().StateRoot
			for b.Loop() {
				t, err := db.openTrie(root)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := updateTrie(t, changes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
