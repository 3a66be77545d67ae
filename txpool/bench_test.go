package txpool

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/internal/cputime"
)

// benchFixture is perSender signed transfers (nonces 0…) from each of
// senders accounts, interleaved by nonce as they might arrive, kept encoded
// so each benchmark round decodes fresh transactions with cold signatures.
type benchFixture struct {
	raw   [][]byte
	state *fakeState

	warmOnce sync.Once
	warm     []*chain.Tx // decoded once, signers recovered; pools never change a tx
}

var fixtures sync.Map // "senders/perSender" → *benchFixture

func fixture(b *testing.B, senders, perSender int) *benchFixture {
	key := fmt.Sprintf("%d/%d", senders, perSender)
	if f, ok := fixtures.Load(key); ok {
		return f.(*benchFixture)
	}
	f := &benchFixture{state: newState()}
	signers := newSigners(b, senders)
	for _, s := range signers {
		f.state.set(s.addr, "CNY", 1<<40)
	}
	for n := range uint64(perSender) {
		for _, s := range signers {
			f.raw = append(f.raw, s.transfer(b, n, 100).Bytes())
		}
	}
	fixtures.Store(key, f)
	return f
}

// decode returns the transactions. Cold ones are freshly decoded, signers
// not yet recovered; warm ones have them cached, to measure the pool alone.
func (f *benchFixture) decode(b *testing.B, warm bool) []*chain.Tx {
	if warm {
		f.warmOnce.Do(func() {
			f.warm = f.decode(b, false)
			for _, tx := range f.warm {
				if _, err := tx.Signers(); err != nil {
					b.Fatal(err)
				}
			}
		})
		return f.warm
	}
	txs := make([]*chain.Tx, len(f.raw))
	for i, raw := range f.raw {
		tx, err := chain.DecodeTx(raw)
		if err != nil {
			b.Fatal(err)
		}
		txs[i] = tx
	}
	return txs
}

// BenchmarkAdd admits 10,000 signed transfers from 1,000 senders into an
// empty pool per round. "cold" transactions come straight from the decoder,
// so every signature is recovered inside Add; "warm" ones have their signers
// cached, which isolates the pool's own cost. callers>1 splits the work
// over concurrent Add calls (RPC clients or gossip handlers).
func BenchmarkAdd(b *testing.B) {
	f := fixture(b, 1000, 10)
	for _, bc := range []struct {
		name           string
		warm           bool
		workers, batch int
		callers        int
	}{
		{"cold/batch=10000", false, 0, 10000, 1},
		{"cold/batch=100", false, 0, 100, 1},
		{"cold/batch=1/callers=64", false, 0, 1, 64},
		{"cold/batch=10000/workers=1", false, 1, 10000, 1},
		{"warm/batch=10000", true, 0, 10000, 1},
		{"warm/batch=100", true, 0, 100, 1},
		{"warm/batch=1/callers=64", true, 0, 1, 64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var elapsed, cpu time.Duration
			for range b.N {
				b.StopTimer()
				txs := f.decode(b, bc.warm)
				p := New(Config{Workers: bc.workers}, testChain, f.state)
				b.StartTimer()
				start, cpu0 := time.Now(), cputime.Used()
				addAll(b, p, txs, bc.batch, bc.callers)
				elapsed += time.Since(start)
				cpu += cputime.Used() - cpu0
				if p.Len() != len(txs) {
					b.Fatalf("admitted %d of %d", p.Len(), len(txs))
				}
			}
			n := float64(b.N * len(f.raw))
			b.ReportMetric(n/elapsed.Seconds(), "tx/s")
			b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/tx")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/tx")
		})
	}
}

// addAll adds txs in batches, or one at a time from concurrent callers; a
// sender's nonces may then arrive out of order, and wait for their gaps.
func addAll(b *testing.B, p *Pool, txs []*chain.Tx, batch, callers int) {
	check := func(errs []error) {
		for _, err := range errs {
			if err != nil {
				b.Error(err)
				return
			}
		}
	}
	if callers <= 1 {
		for i := 0; i < len(txs); i += batch {
			check(p.Add(txs[i:min(i+batch, len(txs))]))
		}
		return
	}
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := c; i < len(txs); i += callers {
				check(p.Add(txs[i : i+1]))
			}
		})
	}
	wg.Wait()
}

// BenchmarkPending picks a 10,000-transaction block from pools of
// executable transfers from 1,000 senders.
func BenchmarkPending(b *testing.B) {
	for _, perSender := range []int{10, 20, 100} {
		f := fixture(b, 1000, perSender)
		b.Run(fmt.Sprintf("pool=%d/block=10000", len(f.raw)), func(b *testing.B) {
			p := New(Config{}, testChain, f.state)
			mustAdd(b, p, f.decode(b, true)...)
			b.ResetTimer()
			for range b.N {
				if got := p.Pending(10000, 4<<20); len(got) != 10000 {
					b.Fatalf("Pending returned %d", len(got))
				}
			}
		})
	}
}

// BenchmarkUpdate commits a 10,000-transaction block from pools of 20,000
// and 100,000 (1,000 senders): drop the included, re-check the rest.
func BenchmarkUpdate(b *testing.B) {
	for _, perSender := range []int{20, 100} {
		f := fixture(b, 1000, perSender)
		b.Run(fmt.Sprintf("pool=%d/block=10000", len(f.raw)), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				p := New(Config{}, testChain, f.state)
				mustAdd(b, p, f.decode(b, true)...)
				block := p.Pending(10000, 4<<20)
				next := f.state.clone()
				next.apply(b, block)
				b.StartTimer()
				p.Update(next, block)
				if p.Len() != len(f.raw)-10000 {
					b.Fatalf("pool holds %d after update", p.Len())
				}
			}
		})
	}
}

// BenchmarkRecover is the baseline: chain.Tx.Signers on the same fresh
// transactions with no pool, on one goroutine and on NumCPU goroutines.
// BenchmarkAdd/cold's CPU per tx minus this is what the pool adds.
func BenchmarkRecover(b *testing.B) {
	f := fixture(b, 1000, 10)
	for _, goroutines := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("goroutines=%d", goroutines), func(b *testing.B) {
			var elapsed, cpu time.Duration
			for range b.N {
				b.StopTimer()
				txs := f.decode(b, false)
				b.StartTimer()
				start, cpu0 := time.Now(), cputime.Used()
				var wg sync.WaitGroup
				for g := range goroutines {
					wg.Go(func() {
						for i := g; i < len(txs); i += goroutines {
							if _, err := txs[i].Signers(); err != nil {
								b.Error(err)
							}
						}
					})
				}
				wg.Wait()
				elapsed += time.Since(start)
				cpu += cputime.Used() - cpu0
			}
			n := float64(b.N * len(f.raw))
			b.ReportMetric(n/elapsed.Seconds(), "tx/s")
			b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/tx")
			b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/tx")
		})
	}
}
