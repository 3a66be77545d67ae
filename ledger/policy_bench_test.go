package ledger

import (
	"crypto/ecdsa"
	"testing"
	"time"

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
	for _, mode := range []struct {
		name           string
		cosigned, warm bool
	}{{"plain/cold", false, false}, {"two-cosignatures/cold", true, false}, {"plain/warm", false, true}, {"two-cosignatures/warm", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			w := newTransferBench(b, mode.cosigned)
			b.ResetTimer()
			b.StopTimer()
			total := 0
			for i := 0; i < b.N; i++ {
				txs := w.block(i, mode.warm)
				applyBlocks(b, w.f, txs)
				total += len(txs)
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// BenchmarkPolicyTransferRatio measures the target directly, as a
// ratio that load from other processes on a shared machine cannot skew:
// each iteration applies one block of plain transfers and one block of
// transfers with two co-signatures, alternately, each on its own chain,
// and reports the time per transfer of each and co-signed/plain (the
// target: at most 2), in wall time and in the process's CPU time (which
// other processes on a shared machine do not inflate). Warm, as a node applies blocks (signatures recovered
// once at admission), and cold (every signature recovered in the block).
func BenchmarkPolicyTransferRatio(b *testing.B) {
	for _, warm := range []bool{true, false} {
		name := map[bool]string{true: "warm", false: "cold"}[warm]
		b.Run(name, func(b *testing.B) {
			worlds := [2]*transferBench{newTransferBench(b, false), newTransferBench(b, true)}
			var spent, cpu [2]time.Duration
			txs := 0
			b.ResetTimer()
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				order := []int{0, 1}
				if i%2 == 1 {
					order = []int{1, 0} // alternate which goes first
				}
				for _, k := range order {
					block := worlds[k].block(i, warm)
					start, startCPU := time.Now(), processCPU()
					applyBlocks(b, worlds[k].f, block)
					spent[k] += time.Since(start)
					cpu[k] += processCPU() - startCPU
				}
				txs += perBenchBlock
			}
			b.ReportMetric(float64(spent[0].Microseconds())/float64(txs), "µs/plain")
			b.ReportMetric(float64(spent[1].Microseconds())/float64(txs), "µs/cosigned")
			b.ReportMetric(float64(spent[1])/float64(spent[0]), "ratio")
			b.ReportMetric(float64(cpu[0].Microseconds())/float64(txs), "cpu-µs/plain")
			b.ReportMetric(float64(cpu[1].Microseconds())/float64(txs), "cpu-µs/cosigned")
			b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-ratio")
		})
	}
}

const benchAccounts, perBenchBlock = 400, 2000

// transferBench is a chain of 400 accounts sending blocks of 2,000
// transfers: plain, or from accounts whose policy makes every transfer
// large under a 1-of-1 guardian policy, co-signed by the account's
// verification key and the guardian.
type transferBench struct {
	f        *fixture
	cosigned bool
	guardian *ecdsa.PrivateKey
	keys     map[common.Address]*ecdsa.PrivateKey
}

func newTransferBench(b *testing.B, cosigned bool) *transferBench {
	w := &transferBench{f: newFixture(b, benchAccounts), cosigned: cosigned, guardian: devnet.Key(testSeed, "guardian", 0),
		keys: map[common.Address]*ecdsa.PrivateKey{}}
	if !cosigned {
		return w
	}
	f := w.f
	f.block(f.tx(f.banks[0], chain.RegisterAccount{Account: addr(w.guardian)}))
	var setup []*chain.Tx
	for i, c := range f.customers {
		w.keys[addr(c)] = devnet.Key(testSeed, "wk", i)
		setup = append(setup, f.tx(c, chain.SetWithdrawalKey{Key: addr(w.keys[addr(c)])}),
			f.tx(f.banks[i%2], chain.SetPolicy{Account: addr(c), Policy: chain.Policy{
				Tiers: []chain.Tier{{Asset: "CNY", Small: 0, Normal: 0}}, Guardians: []common.Address{addr(w.guardian)}, Threshold: 1}}))
	}
	f.block(setup...)
	return w
}

// block builds block i's transfers as they arrive from the network (no
// signer cached); warm recovers their signers first, as the txpool does
// at admission.
func (w *transferBench) block(i int, warm bool) []*chain.Tx {
	txs := make([]*chain.Tx, perBenchBlock)
	for j := range txs {
		from := w.f.customers[(i*perBenchBlock+j)%benchAccounts]
		to := addr(w.f.customers[(i*perBenchBlock+j+1)%benchAccounts])
		tx := w.f.tx(from, chain.Transfer{To: to, Asset: "CNY", Amount: 1})
		if w.cosigned {
			_ = tx.Sign(w.keys[addr(from)])
			_ = tx.Sign(w.guardian)
		}
		txs[j], _ = chain.DecodeTx(tx.Bytes())
		if warm {
			_, _ = txs[j].Signers()
		}
	}
	return txs
}
