package ledger

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// BenchmarkRequestAccept measures request + accept pairs (direct
// settlement) applied the way a node applies final blocks, exactly as
// BenchmarkEscrowHoldRelease does: a block of requests, then a block
// accepting them. BenchmarkTwoTransfers is the baseline; the target is at
// most 1.5× its time per pair.
func BenchmarkRequestAccept(b *testing.B) {
	const accounts, pairs = 2000, 2500
	f := newFixture(b, accounts)
	b.ResetTimer()
	b.StopTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		first := i * pairs
		requests := f.freshTxs(first, pairs, func(_ *ecdsa.PrivateKey, payer common.Address, _ int) chain.Body {
			return chain.PaymentRequest{Payer: payer, Asset: "CNY", Amount: 1, Expiry: f.now + 3_600_000, Ref: "ORDER", Mode: chain.SettleDirect}
		})
		accepts := make([]*chain.Tx, pairs)
		for j := range accepts {
			payer := f.customers[(first+j+1)%len(f.customers)]
			tx := f.tx(payer, chain.Accept{Request: requests[j].Hash(), Asset: "CNY", Amount: 1})
			accepts[j], _ = chain.DecodeTx(tx.Bytes()) // cold: signature not yet recovered
		}
		applyBlocks(b, f, requests, accepts)
		total += pairs
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pairs/s")
}
