package txpool

import (
	"math/bits"
	"sort"

	"github.com/ethereum/go-ethereum/common"

	"github.com/sovereign-ledger/sovereign/chain"
)

// entry is one pooled transaction with what the pool reads of it, taken
// once at admission.
type entry struct {
	tx       *chain.Tx
	hash     common.Hash
	acct     *account
	nonce    uint64
	size     int
	asset    string // debited asset; "" when the transaction debits nothing
	amount   uint64
	seq      uint64 // arrival order
	included bool   // set by Update for transactions in the committed block
}

// debit is a running total of one asset's queued debits.
type debit struct {
	asset string
	sum   uint64
}

// account is one sender's queue: its transactions sorted by nonce, all at or
// above base, the state nonce.
type account struct {
	addr   common.Address
	base   uint64
	txs    []*entry
	run    int     // txs[:run] have nonces base, base+1, …: executable
	debits []debit // per asset; senders rarely use more than one
	gapIdx int     // position in Pool.gapped, or -1
	marked int     // transactions Update is removing as included
}

func newAccount(addr common.Address, base uint64) *account {
	return &account{addr: addr, base: base, gapIdx: -1}
}

// find returns the index where nonce is or would be in txs.
func (a *account) find(nonce uint64) int {
	return sort.Search(len(a.txs), func(i int) bool { return a.txs[i].nonce >= nonce })
}

// debited returns the queued debit total for asset.
func (a *account) debited(asset string) uint64 {
	for _, d := range a.debits {
		if d.asset == asset {
			return d.sum
		}
	}
	return 0
}

// addDebit adds amount to asset's total. Callers check overflow first
// (through fits).
func (a *account) addDebit(asset string, amount uint64) {
	if asset == "" || amount == 0 {
		return
	}
	for i := range a.debits {
		if a.debits[i].asset == asset {
			a.debits[i].sum += amount
			return
		}
	}
	a.debits = append(a.debits, debit{asset, amount})
}

func (a *account) subDebit(asset string, amount uint64) {
	if asset == "" || amount == 0 {
		return
	}
	for i := range a.debits {
		if a.debits[i].asset == asset {
			a.debits[i].sum -= amount
			return
		}
	}
}

// fits reports whether queuing amount more of asset keeps the queue within
// avail, without overflow.
func fits(queued, amount, avail uint64) bool {
	sum, carry := bits.Add64(queued, amount, 0)
	return carry == 0 && sum <= avail
}

func saturatingAdd(a, b uint64) uint64 {
	if sum, carry := bits.Add64(a, b, 0); carry == 0 {
		return sum
	}
	return ^uint64(0)
}

// insert puts e at index i (from find) and extends the executable run.
func (a *account) insert(i int, e *entry) {
	a.txs = append(a.txs, nil)
	copy(a.txs[i+1:], a.txs[i:])
	a.txs[i] = e
	a.addDebit(e.asset, e.amount)
	a.extendRun()
}

// extendRun grows run over consecutive nonces.
func (a *account) extendRun() {
	for a.run < len(a.txs) && a.txs[a.run].nonce == a.base+uint64(a.run) {
		a.run++
	}
}

// popLast removes and returns the highest-nonce transaction.
func (a *account) popLast() *entry {
	n := len(a.txs) - 1
	e := a.txs[n]
	a.txs[n] = nil
	a.txs = a.txs[:n]
	if a.run > n {
		a.run = n
	}
	a.subDebit(e.asset, e.amount)
	return e
}

// nextNonce is the nonce that would extend the executable run.
func (a *account) nextNonce() uint64 { return a.base + uint64(a.run) }

// reindex brings the pool's counters and indexes up to date after a's queue
// changed, given its executable run before the change. Caller holds p.mu.
func (p *Pool) reindex(a *account, oldRun int) {
	p.executable += a.run - oldRun
	hasGap := len(a.txs) > a.run
	switch {
	case hasGap && a.gapIdx < 0:
		a.gapIdx = len(p.gapped)
		p.gapped = append(p.gapped, a)
	case !hasGap && a.gapIdx >= 0:
		last := p.gapped[len(p.gapped)-1]
		p.gapped[a.gapIdx] = last
		last.gapIdx = a.gapIdx
		p.gapped[len(p.gapped)-1] = nil
		p.gapped = p.gapped[:len(p.gapped)-1]
		a.gapIdx = -1
	}
	if len(a.txs) == 0 {
		delete(p.senders, a.addr)
	}
}
