package chain

import (
	"crypto/ecdsa"
	"testing"
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
		txs := make([]*Tx, perBlock)
		for j := range txs {
			from := f.customers[(i*perBlock+j)%accounts]
			to := f.customers[(i*perBlock+j+1)%accounts]
			tx := f.tx(from, Transfer{To: addr(to), Asset: "CNY", Amount: 1})
			txs[j], _ = DecodeTx(tx.Bytes()) // a fresh Tx: no cached signers
		}
		tmpl := f.template()
		b.StartTimer()
		blk, ex, err := f.ledger.Build(tmpl, txs)
		if err != nil {
			b.Fatal(err)
		}
		if len(ex.Dropped) > 0 {
			b.Fatalf("dropped %d: %v", len(ex.Dropped), ex.Dropped[0].Err)
		}
		if err := f.ledger.Commit(blk, f.certificate(blk.Hash(), blk.Height(), 0)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		total += len(txs)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkRecoverSigner is the floor: one secp256k1 recovery.
func BenchmarkRecoverSigner(b *testing.B) {
	key := DevKey(testSeed, "x", 0)
	tx := NewTx("c", 0, Transfer{Asset: "CNY", Amount: 1})
	_ = tx.Sign(key)
	h := tx.SigningHash()
	sig := tx.Sigs()[0]
	for i := 0; i < b.N; i++ {
		if _, err := recoverSigner(h, sig); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = ecdsa.PrivateKey{}

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
		holds := make([]*Tx, pairs)
		for j := range holds {
			from := f.customers[(i*pairs+j)%accounts]
			to := f.customers[(i*pairs+j+1)%accounts]
			tx := f.tx(from, Hold{Payee: addr(to), Asset: "CNY", Amount: 1, Expiry: f.now + 3_600_000})
			holds[j], _ = DecodeTx(tx.Bytes())
		}
		releases := make([]*Tx, pairs)
		for j := range releases {
			from := f.customers[(i*pairs+j)%accounts]
			tx := f.tx(from, Release{Escrow: holds[j].Hash()})
			releases[j], _ = DecodeTx(tx.Bytes())
		}
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
		var blocks [2][]*Tx
		for k := range blocks {
			blocks[k] = make([]*Tx, pairs)
			for j := range blocks[k] {
				from := f.customers[(i*pairs+j)%accounts]
				to := f.customers[(i*pairs+j+1)%accounts]
				tx := f.tx(from, Transfer{To: addr(to), Asset: "CNY", Amount: 1})
				blocks[k][j], _ = DecodeTx(tx.Bytes())
			}
		}
		applyBlocks(b, f, blocks[0], blocks[1])
		total += pairs
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pairs/s")
}

// applyBlocks builds and commits one block per list of transactions, timed.
func applyBlocks(b *testing.B, f *fixture, blocks ...[]*Tx) {
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
