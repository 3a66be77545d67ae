package chain

import (
	"crypto/ecdsa"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// BenchmarkSigners is the latency of recovering one transaction's signers
// cold, as the pool does at admission: the sender alone, and the sender
// with two co-signers (a policy's verification key and guardian), whose
// signatures are recovered in parallel.
func BenchmarkSigners(b *testing.B) {
	keys := make([]*ecdsa.PrivateKey, 3)
	for i := range keys {
		keys[i], _ = crypto.GenerateKey()
	}
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("signatures=%d", n), func(b *testing.B) {
			tx := NewTx("c", 0, Transfer{To: common.Address{1}, Asset: "CNY", Amount: 1})
			for _, k := range keys[:n] {
				_ = tx.Sign(k)
			}
			raw := tx.Bytes()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				fresh, err := DecodeTx(raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := fresh.Signers(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
