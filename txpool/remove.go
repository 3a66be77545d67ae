package txpool

import (
	"github.com/ethereum/go-ethereum/common"
)

// Remove drops the transaction with hash h, and its sender's later nonces
// (which cannot execute without it), recording reason as their rejection.
// The block builder calls it for transactions the ledger refused to include
// (an unregistered sender, say), which would otherwise be offered to every
// block forever.
func (p *Pool) Remove(h common.Hash, reason error) {
	defer p.refusals.flush() // after the unlock
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.all[h]
	if e == nil {
		return
	}
	a := e.acct
	oldRun := a.run
	i := a.find(e.nonce)
	for _, x := range a.txs[i:] {
		p.drop(a, x)
		p.recordRejected(x.hash, reason, false)
		p.refusals.note(reason)
	}
	clear(a.txs[i:])
	a.txs = a.txs[:i]
	a.run = min(a.run, i)
	p.reindex(a, oldRun)
	p.notify()
}

// PendingNonce is the nonce that would extend addr's executable run: the
// nonce a wallet should use next. ok is false when the pool holds nothing
// of addr's (the ledger's nonce applies).
func (p *Pool) PendingNonce(addr common.Address) (uint64, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	a := p.senders[addr]
	if a == nil {
		return 0, false
	}
	return a.nextNonce(), true
}
