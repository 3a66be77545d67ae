package txpool

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"pgregory.net/rapid"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestPendingProperty drives a pool with random admissions and blocks,
// including changes to the ledger the pool did not cause (another node's
// transactions spending nonces and balances). After every step Pending must
// be executable against the pool's StateView: no nonce gap, no overdraft;
// and the pool's bookkeeping must match a recount.
func TestPendingProperty(t *testing.T) {
	signers := newSigners(t, 4)
	assets := []string{"CNY", "USD"}
	rapid.Check(t, func(rt *rapid.T) {
		st := newState()
		for _, s := range signers {
			st.nonces[s.addr] = rapid.Uint64Range(0, 3).Draw(rt, "nonce")
			for _, asset := range assets {
				st.set(s.addr, asset, rapid.Uint64Range(0, 300).Draw(rt, "balance"))
			}
		}
		cfg := Config{
			MaxTxs:       rapid.IntRange(1, 30).Draw(rt, "maxTxs"),
			MaxPerSender: rapid.IntRange(1, 10).Draw(rt, "maxPerSender"),
			NonceWindow:  rapid.Uint64Range(1, 8).Draw(rt, "window"),
			Workers:      rapid.IntRange(1, 3).Draw(rt, "workers"),
		}
		p := New(cfg, testChain, st)
		var seen []*chain.Tx // everything submitted, for resubmission

		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				n := rapid.IntRange(1, 6).Draw(rt, "batch")
				batch := make([]*chain.Tx, n)
				for i := range batch {
					if len(seen) > 0 && rapid.IntRange(0, 5).Draw(rt, "resend") == 0 {
						batch[i] = redecode(rt, rapid.SampledFrom(seen).Draw(rt, "old"))
						continue
					}
					s := rapid.SampledFrom(signers).Draw(rt, "sender")
					nonce := st.Nonce(s.addr) + rapid.Uint64Range(0, cfg.NonceWindow+1).Draw(rt, "ahead") - 1
					amount := rapid.Uint64Range(0, 150).Draw(rt, "amount")
					batch[i] = s.pay(rt, nonce, rapid.SampledFrom(assets).Draw(rt, "asset"), amount)
					seen = append(seen, batch[i])
				}
				errs := p.Add(batch)
				for i, err := range errs {
					if err != nil && chain.CodeOf(err) == "internal" {
						rt.Fatalf("tx %d: uncoded error %v", i, err)
					}
					// Admitted, it is held as that very pointer, unless a later
					// tx of the batch evicted it.
					if got := p.Get(batch[i].Hash()); err == nil && got != nil && got != batch[i] {
						rt.Fatalf("tx %d admitted but Get returns another pointer", i)
					}
				}
			},
			"block": func(rt *rapid.T) {
				maxTxs := rapid.IntRange(0, 12).Draw(rt, "blockTxs")
				maxBytes := rapid.IntRange(0, 2000).Draw(rt, "blockBytes")
				pending := p.Pending(maxTxs, maxBytes)
				if len(pending) > maxTxs {
					rt.Fatalf("Pending returned %d > %d txs", len(pending), maxTxs)
				}
				size := 0
				for _, tx := range pending {
					size += tx.Size()
				}
				if size > maxBytes {
					rt.Fatalf("Pending returned %d > %d bytes", size, maxBytes)
				}
				checkExecutable(rt, st, pending)
				// Any prefix is a valid block.
				included := pending[:rapid.IntRange(0, len(pending)).Draw(rt, "included")]
				next := st.clone()
				next.apply(rt, included)
				// Outside changes: another node's tx spends a nonce, or a
				// balance moves.
				for _, s := range signers {
					switch rapid.IntRange(0, 5).Draw(rt, "outside") {
					case 0:
						next.nonces[s.addr]++
					case 1:
						asset := rapid.SampledFrom(assets).Draw(rt, "asset")
						next.set(s.addr, asset, rapid.Uint64Range(0, 300).Draw(rt, "balance"))
					}
				}
				p.Update(next, included)
				st = next
				for _, tx := range included {
					if p.Has(tx.Hash()) {
						rt.Fatalf("included tx still pooled")
					}
				}
			},
			"": func(rt *rapid.T) {
				checkInvariants(rt, p)
				all := p.Pending(1<<20, 1<<30)
				checkExecutable(rt, st, all)
				if len(all) != p.Executable() {
					rt.Fatalf("Pending returned %d of %d executable", len(all), p.Executable())
				}
				perSender := map[common.Address]int{}
				for _, tx := range all {
					perSender[mustSender(rt, tx)]++
				}
				for addr, n := range perSender {
					if n > cfg.MaxPerSender {
						rt.Fatalf("%s has %d > %d", addr, n, cfg.MaxPerSender)
					}
				}
			},
		})
	})
}
