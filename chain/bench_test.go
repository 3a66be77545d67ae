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
