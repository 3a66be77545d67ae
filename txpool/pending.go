package txpool

import "github.com/sovereign-ledger/sovereign/chain"

// Pending returns executable transactions for the next block, at most maxTxs
// of them and at most maxBytes of encoded size in all. For each sender they
// form a run of consecutive nonces starting at its state nonce. Senders are
// interleaved first-come first-served: each next pick is the earliest
// arrival among the senders' next executable transactions. A sender whose
// next transaction does not fit in the remaining bytes contributes nothing
// more, while smaller transactions of others may still fill the space.
//
// The transactions are the pointers Add admitted, signers cached. Pending
// does not remove them; Update does once they are committed.
func (p *Pool) Pending(maxTxs, maxBytes int) []*chain.Tx {
	if maxTxs <= 0 || maxBytes <= 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()

	h := make(cursorHeap, 0, min(len(p.senders), maxTxs))
	for _, a := range p.senders {
		if a.run > 0 {
			h = append(h, cursor{acct: a, seq: a.txs[0].seq})
		}
	}
	h.init()

	out := make([]*chain.Tx, 0, min(p.executable, maxTxs))
	for len(h) > 0 && len(out) < maxTxs {
		c := &h[0]
		e := c.acct.txs[c.next]
		if e.size > maxBytes {
			h.pop() // the rest of this sender's run waits behind e
			continue
		}
		out = append(out, e.tx)
		maxBytes -= e.size
		c.next++
		if c.next == c.acct.run {
			h.pop()
			continue
		}
		c.seq = c.acct.txs[c.next].seq
		h.down(0)
	}
	return out
}

// cursor is a sender's position in its executable run during Pending.
type cursor struct {
	acct *account
	next int    // index in acct.txs of the next candidate
	seq  uint64 // its arrival, the heap key
}

// cursorHeap is a min-heap of cursors by arrival, written out rather than
// through container/heap to avoid its interface calls on this hot path.
type cursorHeap []cursor

func (h cursorHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h cursorHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h[r].seq < h[l].seq {
			j = r
		}
		if h[i].seq <= h[j].seq {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

func (h *cursorHeap) pop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	old[n] = cursor{}
	*h = old[:n]
	h.down(0)
}
