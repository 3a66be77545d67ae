package ledger

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// BenchmarkPolicyTransfer compares, the way a node applies final blocks
// (cold signature recovery across all cores, rules, state commitment, one
// synced batch), plain transfers with transfers from policy-bound accounts
// carrying two co-signatures (the verification key and a guardian: a large
// debit under a 1-of-1 guardian policy). Reported as transfers per second;
// the target is the co-signed rate at least half the plain one.
// "cold" recovers every signature in the block; "warm" finds them
// recovered, as a node does for transactions its pool admitted (each
// signature is recovered once per node).
func BenchmarkPolicyTransfer(b *testing.B) {
	const accounts, perBlock = 400, 2000
	for _, mode := range []struct {
		name           string
		cosigned, warm bool
	}{{"plain/cold", false, false}, {"two-cosignatures/cold", true, false}, {"plain/warm", false, true}, {"two-cosignatures/warm", true, true}} {
		cosigned := mode.cosigned
		b.Run(mode.name, func(b *testing.B) {
			f := newFixture(b, accounts)
			guardian := devnet.Key(testSeed, "guardian", 0)
			keys := map[common.Address]*ecdsa.PrivateKey{}
			if cosigned {
				f.block(f.tx(f.banks[0], chain.RegisterAccount{Account: addr(guardian)}))
				var setup []*chain.Tx
				for i, c := range f.customers {
					keys[addr(c)] = devnet.Key(testSeed, "wk", i)
					setup = append(setup, f.tx(c, chain.SetWithdrawalKey{Key: addr(keys[addr(c)])}),
						f.tx(f.banks[i%2], chain.SetPolicy{Account: addr(c), Policy: chain.Policy{
							Tiers: []chain.Tier{{Asset: "CNY", Small: 0, Normal: 0}}, Guardians: []common.Address{addr(guardian)}, Threshold: 1}}))
				}
				f.block(setup...)
			}
			b.ResetTimer()
			b.StopTimer()
			total := 0
			for i := 0; i < b.N; i++ {
				txs := make([]*chain.Tx, perBlock)
				for j := range txs {
					from := f.customers[(i*perBlock+j)%accounts]
					to := addr(f.customers[(i*perBlock+j+1)%accounts])
					tx := f.tx(from, chain.Transfer{To: to, Asset: "CNY", Amount: 1})
					if cosigned {
						_ = tx.Sign(keys[addr(from)])
						_ = tx.Sign(guardian)
					}
					txs[j], _ = chain.DecodeTx(tx.Bytes()) // cold: no signer cached
					if mode.warm {
						_, _ = txs[j].Signers() // as the txpool leaves them: recovered once at admission
					}
				}
				applyBlocks(b, f, txs)
				total += len(txs)
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
