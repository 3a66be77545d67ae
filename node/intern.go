package node

import (
	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// txIntern hands out one *chain.Tx per transaction hash, so that a
// transaction reaching this node several ways (an RPC submission, a gossip
// batch, a proposal's block, a synced block) is recovered once: a *chain.Tx
// caches its signers, and every path asks here before recovering.
//
// The pool's copy wins while the transaction waits there. A transaction the
// pool has not seen (a proposal that outran its gossip batch) or has
// already let go of (it was included) is remembered in recent, which holds
// several full blocks' worth, so a gossip batch arriving after the block
// that included its transactions costs no recovery either.
type txIntern struct {
	pool   *txpool.Pool
	recent *lru.Cache[common.Hash, *chain.Tx]
}

// recentTxs bounds the transactions remembered outside the pool: four
// blocks at the default block_max_txs.
const recentTxs = 40000

func newTxIntern(pool *txpool.Pool) *txIntern {
	recent, _ := lru.New[common.Hash, *chain.Tx](recentTxs)
	return &txIntern{pool: pool, recent: recent}
}

// one returns the node's copy of tx, making tx that copy if there is none.
func (t *txIntern) one(tx *chain.Tx) *chain.Tx {
	h := tx.Hash()
	if pooled := t.pool.Get(h); pooled != nil {
		return pooled
	}
	if prev, ok, _ := t.recent.PeekOrAdd(h, tx); ok {
		return prev
	}
	return tx
}

// known returns the node's copy of the transaction with hash h, or nil: a
// proposal's block is decoded through it (chain.DecodeBlockKnown), so that
// transactions met before are neither decoded nor recovered again.
func (t *txIntern) known(h common.Hash) *chain.Tx {
	if pooled := t.pool.Get(h); pooled != nil {
		return pooled
	}
	tx, _ := t.recent.Get(h)
	return tx
}

// all replaces each transaction in txs by the node's copy, in place.
func (t *txIntern) all(txs []*chain.Tx) {
	for i, tx := range txs {
		txs[i] = t.one(tx)
	}
}
