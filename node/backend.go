package node

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// Backend is the node as the RPC service sees it. It is built from the parts
// it reads, not from the node, so the same adapter serves a running node and
// node/nodetest's in-memory chain. The embedded ledger answers the account,
// escrow, payout, bank and reconciliation queries directly.
type Backend struct {
	*ledger.Ledger
	BackendParts
}

// BackendParts are what the RPC adapter reads besides the ledger.
type BackendParts struct {
	Ledger *ledger.Ledger
	Pool   *txpool.Pool
	Final  *FinalSignal
	// Status is the consensus position and peer count; nil reports zeros.
	Status func() (round uint32, holder common.Address, peers int)
	Self   *common.Address // this node's validator address; nil for observers
	// Gossip relays an admitted transaction; nil when the node runs alone.
	Gossip func(*chain.Tx)
}

// NewBackend builds the RPC adapter over parts.
func NewBackend(p BackendParts) *Backend { return &Backend{Ledger: p.Ledger, BackendParts: p} }

var _ rpc.Backend = (*Backend)(nil)

// SubmitTxs admits transactions (signatures recovered in parallel by the
// pool) and relays the admitted ones.
func (b *Backend) SubmitTxs(txs []*chain.Tx) []error {
	errs := make([]error, len(txs))
	fresh := make([]*chain.Tx, 0, len(txs))
	at := make([]int, 0, len(txs))
	for i, tx := range txs {
		if loc, ok, err := b.Ledger.DB().TxLocation(tx.Hash()); err != nil {
			errs[i] = err
		} else if ok {
			errs[i] = fmt.Errorf("%w: final in block %d", chain.ErrAlreadyKnown, loc.Height)
		} else {
			fresh, at = append(fresh, tx), append(at, i)
		}
	}
	for j, err := range b.Pool.Add(fresh) {
		errs[at[j]] = err
		if err == nil && b.Gossip != nil {
			b.Gossip(fresh[j])
		}
	}
	return errs
}

// submit admits one transaction.
func (b *Backend) submit(tx *chain.Tx) error { return b.SubmitTxs([]*chain.Tx{tx})[0] }

// PendingNonce lets sov_getAccount report the nonce a wallet should use
// next while earlier transactions of the account still wait in the pool.
func (b *Backend) PendingNonce(addr common.Address) (uint64, bool) {
	return b.Pool.PendingNonce(addr)
}

// LookupTx reads a final transaction and its receipt (not the whole block),
// else asks the pool.
func (b *Backend) LookupTx(hash common.Hash) (rpc.TxLookup, bool, error) {
	tx, rec, loc, ok, err := b.Ledger.DB().Transaction(hash)
	if err != nil {
		return rpc.TxLookup{}, false, err
	}
	if ok {
		l := rpc.TxLookup{Tx: tx, Status: "final", Height: loc.Height, Index: int(loc.Index), Receipt: rec, Code: rec.Code}
		if !rec.OK() {
			l.Status = "rejected"
		}
		return l, true, nil
	}
	if tx := b.Pool.Get(hash); tx != nil {
		return rpc.TxLookup{Tx: tx, Status: "pending"}, true, nil
	}
	if code, ok := b.Pool.Rejected(hash); ok {
		return rpc.TxLookup{Status: "rejected", Code: code}, true, nil
	}
	return rpc.TxLookup{}, false, nil
}

func (b *Backend) BlockByNumber(h uint64) (*chain.Block, *chain.Certificate, []*chain.Receipt, error) {
	db := b.Ledger.DB()
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

func (b *Backend) Proof(key []byte) (rpc.StateProof, error) {
	value, nodes, head, err := b.Ledger.Prove(key)
	if err != nil {
		return rpc.StateProof{}, err
	}
	return rpc.StateProof{Key: key, Value: value, Nodes: nodes, Header: head}, nil
}

func (b *Backend) Info() rpc.ChainStatus {
	head := b.Ledger.Head()
	var (
		round  uint32
		holder common.Address
		peers  int
	)
	if b.Status != nil {
		round, holder, peers = b.Status()
	}
	return rpc.ChainStatus{
		ChainID:     b.Ledger.Genesis().ChainID,
		GenesisHash: b.Ledger.GenesisHash(),
		FinalHeight: head.Height,
		Round:       round,
		Holder:      holder,
		Validators:  b.Ledger.Validators().Validators,
		Self:        b.Self,
		PeerCount:   peers,
	}
}

func (b *Backend) WaitFinal(ctx context.Context, h uint64) error {
	return b.Final.Wait(ctx, func() bool { return b.Ledger.Head().Height >= h })
}

// CommitFinal commits a final block with its certificate, brings the pool up
// to the new state and wakes everyone waiting for finality. The consensus
// driver calls it for every decided block; node/nodetest for every sealed one.
// It returns the block's receipts.
func (b *Backend) CommitFinal(blk *chain.Block, cert *chain.Certificate) ([]*chain.Receipt, error) {
	receipts, err := b.Ledger.CommitReceipts(blk, cert)
	if err != nil {
		return nil, fmt.Errorf("commit block %d: %w", blk.Height(), err)
	}
	b.Pool.Update(newLedgerView(b.Ledger), blk.Txs)
	b.Final.Committed()
	return receipts, nil
}

// FinalSignal wakes everyone waiting for a new final block.
type FinalSignal struct {
	mu sync.Mutex
	ch chan struct{} // closed and replaced on every commit
}

// NewFinalSignal returns a signal with no waiters.
func NewFinalSignal() *FinalSignal { return &FinalSignal{ch: make(chan struct{})} }

// Committed wakes the waiters: a block became final.
func (f *FinalSignal) Committed() {
	f.mu.Lock()
	close(f.ch)
	f.ch = make(chan struct{})
	f.mu.Unlock()
}

// Next is closed at the next commit.
func (f *FinalSignal) Next() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ch
}

// Wait blocks until done reports true (checked after each commit) or ctx ends.
func (f *FinalSignal) Wait(ctx context.Context, done func() bool) error {
	for {
		wake := f.Next()
		if done() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}
