package txpool

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// admitChunk bounds how many transactions one Add admits per lock hold, so
// a large batch does not stall Pending.
const admitChunk = 256

// verified is the outcome of a transaction's lock-free checks.
type verified struct {
	hash    common.Hash
	sender  common.Address
	size    int
	claimed bool // hash is in p.inflight and must be released
	final   bool // err can never change for these bytes
	err     error
}

// Add admits txs, verifying their signatures in parallel over
// Config.Workers goroutines without holding the pool lock. It returns one
// error per transaction, nil for each one admitted; rejections wrap chain's
// sentinel errors. Transactions are admitted in the order given, which is
// their arrival order for Pending.
func (p *Pool) Add(txs []*chain.Tx) []error {
	checked := make([]verified, len(txs))
	p.verifyAll(txs, checked)

	for start := 0; start < len(txs); start += admitChunk {
		end := min(start+admitChunk, len(txs))
		p.mu.Lock()
		for i := start; i < end; i++ {
			v := &checked[i]
			if v.err == nil {
				v.err = p.admit(txs[i], v)
			}
			if v.err != nil && txs[i] != nil && !errors.Is(v.err, chain.ErrAlreadyKnown) {
				p.recordRejected(v.hash, v.err, v.final)
				p.refusals.note(v.err)
			}
		}
		p.notify()
		p.mu.Unlock()
	}
	// Only now, with each outcome in p.all or p.rejected, may a duplicate
	// take the claim.
	p.release(checked)
	p.refusals.flush()

	errs := make([]error, len(txs))
	for i := range checked {
		errs[i] = checked[i].err
	}
	return errs
}

// verifyAll runs verify over txs on up to Workers goroutines, the caller's
// included.
func (p *Pool) verifyAll(txs []*chain.Tx, out []verified) {
	n := min(p.cfg.Workers, len(txs))
	if n <= 1 {
		for i, tx := range txs {
			p.verify(tx, &out[i])
		}
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(txs) {
				return
			}
			p.verify(txs[i], &out[i])
		}
	}
	var wg sync.WaitGroup
	for range n - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
}

// verify runs the checks that need no pool state: it claims the hash so no
// one else verifies the same transaction meanwhile, then checks size, chain
// and signatures.
func (p *Pool) verify(tx *chain.Tx, v *verified) {
	if tx == nil {
		v.err = fmt.Errorf("nil transaction: %w", chain.ErrMalformed)
		return
	}
	v.hash = tx.Hash()
	if !p.claim(v.hash) {
		v.err = fmt.Errorf("already being verified: %w", chain.ErrAlreadyKnown)
		return
	}
	v.claimed = true
	if v.err = p.known(v.hash); v.err != nil {
		return
	}
	v.final = true // until the signature checks out, every failure is final
	if v.err = p.finalRejection(v.hash); v.err != nil {
		return
	}
	v.size = tx.Size()
	if v.err = chain.CheckEnvelope(tx, p.chainID); v.err != nil {
		return
	}
	p.sem <- struct{}{}
	signers, err := p.recover(tx)
	<-p.sem
	if err != nil {
		v.err = fmt.Errorf("verify signature: %w", err)
		return
	}
	v.sender = signers[0]
	v.final = false
}

// known returns ErrAlreadyKnown, wrapped, if the pool holds h or a block
// recently included it.
func (p *Pool) known(h common.Hash) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	switch {
	case p.all[h] != nil:
		return fmt.Errorf("already in pool: %w", chain.ErrAlreadyKnown)
	case p.included.has(h):
		return errIncluded
	}
	return nil
}

// claim marks h as being verified; false if someone already is.
func (p *Pool) claim(h common.Hash) bool {
	p.inflightMu.Lock()
	defer p.inflightMu.Unlock()
	if _, busy := p.inflight[h]; busy {
		return false
	}
	p.inflight[h] = struct{}{}
	return true
}

// release ends the claims of a batch, once its transactions are in p.all or
// their rejections in p.rejected, so a later duplicate finds them there.
func (p *Pool) release(checked []verified) {
	p.inflightMu.Lock()
	defer p.inflightMu.Unlock()
	for i := range checked {
		if checked[i].claimed {
			delete(p.inflight, checked[i].hash)
		}
	}
}

// admit checks a verified transaction against the ledger and the sender's
// queue and inserts it. Caller holds p.mu.
func (p *Pool) admit(tx *chain.Tx, v *verified) error {
	if p.all[v.hash] != nil {
		return fmt.Errorf("already in pool: %w", chain.ErrAlreadyKnown)
	}
	if err := p.state.Check(tx); err != nil {
		// Only a sender's registration can change; every other verdict of
		// the check is fixed for these bytes.
		v.final = !errors.Is(err, chain.ErrUnknownAccount)
		return fmt.Errorf("refused by the ledger rules: %w", err)
	}
	a := p.senders[v.sender]
	fresh := a == nil
	if fresh {
		a = newAccount(v.sender, p.state.Nonce(v.sender))
	}
	nonce := tx.Nonce()
	if nonce < a.base {
		if p.included.has(v.hash) { // by a block that committed while we verified
			return errIncluded
		}
		v.final = true // the ledger's nonce never goes back
		return fmt.Errorf("nonce %d below account nonce %d: %w", nonce, a.base, chain.ErrBadNonce)
	}
	if nonce-a.base > p.cfg.NonceWindow {
		return fmt.Errorf("nonce %d more than %d ahead of account nonce %d: %w", nonce, p.cfg.NonceWindow, a.base, chain.ErrNonceTooHigh)
	}
	i := a.find(nonce)
	if i < len(a.txs) && a.txs[i].nonce == nonce {
		return fmt.Errorf("nonce %d taken by pooled tx %s: %w", nonce, a.txs[i].hash.TerminalString(), chain.ErrBadNonce)
	}
	if len(a.txs) >= p.cfg.MaxPerSender {
		return fmt.Errorf("sender holds %d transactions, limit %d: %w", len(a.txs), p.cfg.MaxPerSender, chain.ErrSenderLimit)
	}
	asset, amount := tx.Debit()
	if amount > 0 {
		queued, avail := a.debited(asset), p.state.Available(v.sender, asset)
		if !fits(queued, amount, avail) {
			code := chain.ErrInsufficientFunds
			if fits(queued, amount, saturatingAdd(avail, p.state.Locked(v.sender, asset))) {
				code = chain.ErrProtectionPeriod
			}
			return fmt.Errorf("debit %d %s with %d queued exceeds available %d: %w", amount, asset, queued, avail, code)
		}
	}
	if len(p.all) >= p.cfg.MaxTxs && (nonce != a.nextNonce() || !p.evictFor(a)) {
		return fmt.Errorf("pool holds %d transactions: %w", len(p.all), chain.ErrPoolFull)
	}

	e := &entry{tx: tx, hash: v.hash, acct: a, nonce: nonce, size: v.size, asset: asset, amount: amount, seq: p.seq}
	p.seq++
	oldRun := a.run
	a.insert(i, e)
	p.all[v.hash] = e
	p.rejected.Remove(v.hash) // refused earlier, pending now
	if fresh {
		p.senders[v.sender] = a
	}
	p.reindex(a, oldRun)
	return nil
}

// evictFor makes room for an executable transaction of a by dropping the
// highest-nonce waiting transaction of another sender, preferring the sender
// that most recently acquired a gap. It reports whether it made room.
// Caller holds p.mu.
func (p *Pool) evictFor(a *account) bool {
	for j := len(p.gapped) - 1; j >= 0 && j >= len(p.gapped)-2; j-- {
		victim := p.gapped[j]
		if victim == a {
			continue // a appears once; the one before it is another sender
		}
		oldRun := victim.run
		e := victim.popLast()
		delete(p.all, e.hash)
		p.reindex(victim, oldRun)
		p.recordRejected(e.hash, chain.ErrPoolFull, false)
		return true
	}
	return false
}
