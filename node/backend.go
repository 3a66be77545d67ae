package node

import (
	"context"
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
	// Intern swaps submitted transactions for the node's copies (nil: no
	// copies kept), so a submission the node met before is not recovered
	// again.
	Intern *txIntern
	// Refused, if set, is told the answers to each SubmitTxs (the
	// rejection metrics).
	Refused func([]error)
}

// NewBackend builds the RPC adapter over parts.
func NewBackend(p BackendParts) *Backend { return &Backend{Ledger: p.Ledger, BackendParts: p} }

var _ rpc.Backend = (*Backend)(nil)

// SubmitTxs admits transactions and relays the admitted ones.
func (b *Backend) SubmitTxs(txs []*chain.Tx) []error {
	errs := admit(b.Ledger, b.Pool, b.Intern, b.Gossip, txs)
	if b.Refused != nil {
		b.Refused(errs)
	}
	return errs
}

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
	return finalBlock(b.Ledger, h)
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
		Validators:  validatorsOrNone(b.Ledger, head.Height),
		Self:        b.Self,
		PeerCount:   peers,
		HistoryFrom: b.historyFrom(),
	}
}

// historyFrom is the snapshot base (0 for a node with the full history).
func (b *Backend) historyFrom() uint64 {
	base, _, _ := b.Ledger.DB().SnapshotBase()
	return base
}

func (b *Backend) WaitFinal(ctx context.Context, h uint64) error {
	return waitFinal(ctx, b.Final, b.Ledger, h)
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

// validatorsOrNone is the set in force at h, or none when the store fails
// (the status has no error to report it; the next read reports it).
func validatorsOrNone(l *ledger.Ledger, h uint64) []chain.Validator {
	vs, err := l.ValidatorsAtErr(h)
	if err != nil {
		return nil
	}
	return vs.Validators
}
