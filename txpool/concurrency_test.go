package txpool

import (
	"sync"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestConcurrentAddPendingUpdate runs adders, status readers and a block
// producer at once (run it with -race). Every transaction is admitted once
// and committed once, in nonce order.
func TestConcurrentAddPendingUpdate(t *testing.T) {
	const adders, sendersPer, perSender = 4, 5, 8
	st := newState()
	batches := make([][][]*chain.Tx, adders) // adder → batches
	var all []*chain.Tx
	for g := range adders {
		for range sendersPer {
			s := newSigner(t)
			st.set(s.addr, "CNY", 1000)
			var txs []*chain.Tx
			for n := range uint64(perSender) {
				txs = append(txs, s.transfer(t, n, 1))
			}
			all = append(all, txs...)
			// Two batches per sender, the second re-sending one of the first.
			batches[g] = append(batches[g], txs[:perSender/2], txs[perSender/2-1:])
		}
	}
	p := New(Config{Workers: 3, MaxPerSender: perSender}, testChain, st.clone())

	var wg sync.WaitGroup
	for g := range adders {
		wg.Go(func() {
			for _, b := range batches[g] {
				for i, err := range p.Add(b) {
					if err != nil && !(i == 0 && isReject(err, chain.ErrAlreadyKnown)) {
						t.Errorf("add nonce %d: %v", b[i].Nonce(), err)
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, tx := range all[:10] {
				p.Has(tx.Hash())
				p.Get(tx.Hash())
				p.Rejected(tx.Hash())
			}
			p.Len()
			p.Executable()
		}
	})

	committed := map[*chain.Tx]int{}
	state := st
	deadline := time.After(60 * time.Second)
	for len(committed) < len(all) {
		select {
		case <-p.Wait():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("committed %d of %d", len(committed), len(all))
		}
		block := p.Pending(7, 1<<20)
		checkExecutable(t, state, block)
		next := state.clone()
		next.apply(t, block)
		for _, tx := range block {
			committed[tx]++
		}
		p.Update(next, block)
		state = next
	}
	wg.Wait()
	close(stop)
	readers.Wait()

	for _, tx := range all {
		if committed[tx] != 1 {
			t.Fatalf("tx committed %d times (or as another pointer)", committed[tx])
		}
	}
	if p.Len() != 0 {
		t.Fatalf("pool still holds %d", p.Len())
	}
	checkInvariants(t, p)
}
