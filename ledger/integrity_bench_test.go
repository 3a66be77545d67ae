package ledger

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/syndtr/goleveldb/leveldb/opt"

	"github.com/sovereign-ledger/sovereign/chain"
)

// BenchmarkIntegrityCheck is the start-up check on a chain of 1,000 blocks
// of 20 transfers each on goleveldb: one op is one check of the whole chain,
// so ns/op is the cost per 1,000 blocks. "quick" is the default start-up
// check; "deep" adds certificate signatures, a read of every key and the
// state re-hash.
func BenchmarkIntegrityCheck(b *testing.B) {
	f := newFixture(b, 20)
	for i := 0; i < 1000; i++ {
		var txs []*chain.Tx
		for j := 0; j < 20; j++ {
			txs = append(txs, f.tx(f.customers[j], chain.Transfer{To: addr(f.customers[(j+1)%20]), Asset: "CNY", Amount: 1}))
		}
		f.block(txs...)
	}
	for _, deep := range []bool{false, true} {
		name := map[bool]string{false: "quick", true: "deep"}[deep]
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := f.ledger.CheckIntegrity(deep); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLevelDBStrict compares goleveldb's default strictness with
// StrictAll on what the node does: synced block-sized batches, random
// reads, and reopening the database (replaying the journal and manifest,
// where the added flags act).
func BenchmarkLevelDBStrict(b *testing.B) {
	for _, mode := range []struct {
		name   string
		strict opt.Strict
	}{{"default", opt.DefaultStrict}, {"strictall", opt.StrictAll}} {
		dir := filepath.Join(b.TempDir(), "db")
		kv, err := openLevelDB(dir, mode.strict)
		if err != nil {
			b.Fatal(err)
		}
		val := make([]byte, 200)
		const keys = 20_000
		for i := 0; i < keys; i += 1000 {
			batch := kv.NewBatch()
			for j := i; j < i+1000; j++ {
				batch.Put([]byte(fmt.Sprintf("S%08d", j)), val)
			}
			if err := kv.Write(batch); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(mode.name+"/write-batch", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				batch := kv.NewBatch()
				for j := 0; j < 100; j++ {
					batch.Put([]byte(fmt.Sprintf("X%08d-%d", i, j)), val)
				}
				if err := kv.Write(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode.name+"/get", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := kv.Get([]byte(fmt.Sprintf("S%08d", (i*7919)%keys))); err != nil {
					b.Fatal(err)
				}
			}
		})
		kv.Close()
		b.Run(mode.name+"/reopen", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				kv, err := openLevelDB(dir, mode.strict)
				if err != nil {
					b.Fatal(err)
				}
				kv.Close()
			}
		})
	}
}
