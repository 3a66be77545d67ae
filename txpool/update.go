package txpool

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// Update moves the pool to the state after a committed block. It removes the
// block's transactions (included), drops every transaction whose nonce the
// ledger has passed, and re-checks each sender's remaining queue in nonce
// order against its new available balances, dropping the queue from its
// first overdraft on. Dropped transactions are recorded as rejected
// (bad_nonce or insufficient_funds). Included ones are remembered as
// included: no longer reported rejected, and answered ErrAlreadyKnown without
// signature recovery when gossip brings them again.
//
// Update reads the state once per pooled sender (its nonce, and its balance
// of each asset it has queued) but walks a queue only as far as it drops,
// unless the balance no longer covers the queue.
func (p *Pool) Update(state StateView, included []*chain.Tx) {
	hashes := make([]common.Hash, len(included))
	for i, tx := range included {
		hashes[i] = tx.Hash()
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = state
	for _, h := range hashes {
		// Recorded in the same critical section that removes it from
		// p.all, so a resubmission finds one or the other and is never
		// verified again.
		p.recordIncluded(h)
		if e := p.all[h]; e != nil {
			e.included = true
			e.acct.marked++
		}
	}
	for _, a := range p.senders {
		p.recheck(a)
	}
	p.notify()
}

// recheck brings a's queue up to date with p.state, recording what it
// drops. In the usual case it costs what it drops plus one balance read per
// asset: the stale prefix goes, the executable run shrinks by as much, and
// the queue is walked for an overdraft only when some asset's queued total
// now exceeds the balance. Caller holds p.mu.
func (p *Pool) recheck(a *account) {
	oldRun, oldBase := a.run, a.base
	a.base = p.state.Nonce(a.addr)

	// The stale prefix: nonces the ledger has passed, included or not.
	k, marked := 0, 0
	for ; k < len(a.txs) && a.txs[k].nonce < a.base; k++ {
		e := a.txs[k]
		if e.included {
			marked++
		} else {
			p.recordRejected(e.hash, chain.ErrBadNonce, true) // the ledger's nonce never goes back
		}
		p.drop(a, e)
	}
	n := copy(a.txs, a.txs[k:])
	clear(a.txs[n:])
	a.txs = a.txs[:n]
	if a.base == oldBase+uint64(k) && k <= oldRun {
		a.run = oldRun - k // the block took the front of the run
	} else {
		a.run = 0 // nonces spent elsewhere: recount
	}
	if marked != a.marked {
		// Included above the state nonce: the view is behind the block.
		// Drop them anyway; they are spent.
		kept := a.txs[:0]
		for _, e := range a.txs {
			if e.included {
				p.drop(a, e)
			} else {
				kept = append(kept, e)
			}
		}
		clear(a.txs[len(kept):])
		a.txs = kept
		a.run = 0
	}
	a.marked = 0
	a.extendRun()

	for _, d := range a.debits {
		if d.sum > 0 && d.sum > p.state.Available(a.addr, d.asset) {
			p.dropOverdraft(a)
			break
		}
	}
	p.reindex(a, oldRun)
}

// drop removes e's index entry and its debit; the caller takes it out of
// a.txs. Caller holds p.mu.
func (p *Pool) drop(a *account, e *entry) {
	delete(p.all, e.hash)
	a.subDebit(e.asset, e.amount)
}

// dropOverdraft walks a's queue in nonce order and drops it from the first
// transaction whose debit, added to those before it, exceeds the balance.
// Caller holds p.mu.
func (p *Pool) dropOverdraft(a *account) {
	var avail []debit
	a.debits = a.debits[:0]
	cut := len(a.txs)
	for i, e := range a.txs {
		if e.amount > 0 && !fits(a.debited(e.asset), e.amount, p.available(a.addr, e.asset, &avail)) {
			cut = i
			break
		}
		a.addDebit(e.asset, e.amount)
	}
	for _, e := range a.txs[cut:] {
		delete(p.all, e.hash)
		p.recordRejected(e.hash, chain.ErrInsufficientFunds, false)
	}
	clear(a.txs[cut:])
	a.txs = a.txs[:cut]
	a.run = min(a.run, cut)
}

// available reads addr's balance of asset from p.state once per walk,
// memoised in cache.
func (p *Pool) available(addr common.Address, asset string, cache *[]debit) uint64 {
	for _, d := range *cache {
		if d.asset == asset {
			return d.sum
		}
	}
	v := p.state.Available(addr, asset)
	*cache = append(*cache, debit{asset, v})
	return v
}
