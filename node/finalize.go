package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// Finalizer makes decided blocks final: it commits them to the ledger,
// brings the pool up to the new state and wakes everyone waiting. The
// consensus driver holds one; node/nodetest holds one for its sealed
// blocks. Its readers (the RPC adapter, webhooks) wait on Final.
type Finalizer struct {
	Ledger *ledger.Ledger
	Pool   *txpool.Pool
	Final  *FinalSignal
}

// Commit commits a final block with its certificate and returns the
// block's receipts.
func (f *Finalizer) Commit(blk *chain.Block, cert *chain.Certificate) ([]*chain.Receipt, error) {
	receipts, err := f.Ledger.CommitReceipts(blk, cert)
	if err != nil {
		return nil, fmt.Errorf("commit block %d: %w", blk.Height(), err)
	}
	f.Pool.Update(newLedgerView(f.Ledger), blk.Txs)
	f.Final.Committed()
	return receipts, nil
}

// waitFinal returns once block h of l is final, or ctx ends.
func waitFinal(ctx context.Context, final *FinalSignal, l *ledger.Ledger, h uint64) error {
	return final.Wait(ctx, func() bool { return l.Head().Height >= h })
}

// finalBlock reads block h of l with its certificate (nil until the next
// block carries it) and receipts.
func finalBlock(l *ledger.Ledger, h uint64) (*chain.Block, *chain.Certificate, []*chain.Receipt, error) {
	db := l.DB()
	blk, err := db.BlockByHeight(h)
	if err != nil {
		return nil, nil, nil, err
	}
	rs, err := db.Receipts(h)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := db.Certificate(h)
	if errors.Is(err, chain.ErrNotFound) {
		cert, err = nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return blk, cert, rs, nil
}

// admit admits transactions to pool (signatures recovered in parallel),
// refusing those already final in l, and relays the admitted ones through
// gossip (nil: none). RPC submissions and the validator's own
// transactions take this one path. With intern, each transaction is first
// swapped for the node's copy, so one the node met before (in a proposal,
// say) is not recovered again.
func admit(l *ledger.Ledger, pool *txpool.Pool, intern *txIntern, gossip func(*chain.Tx), txs []*chain.Tx) []error {
	if intern != nil {
		intern.all(txs)
	}
	errs := make([]error, len(txs))
	fresh := make([]*chain.Tx, 0, len(txs))
	at := make([]int, 0, len(txs))
	for i, tx := range txs {
		if loc, ok, err := l.DB().TxLocation(tx.Hash()); err != nil {
			errs[i] = err
		} else if ok {
			errs[i] = fmt.Errorf("%w: final in block %d", chain.ErrAlreadyKnown, loc.Height)
		} else {
			fresh, at = append(fresh, tx), append(at, i)
		}
	}
	for j, err := range pool.Add(fresh) {
		errs[at[j]] = err
		if err == nil && gossip != nil {
			gossip(fresh[j])
		}
	}
	return errs
}
