package ledger

import (
	"errors"
	"fmt"

	"github.com/sovereign-ledger/sovereign/chain"
)

// Errors that make a block invalid (as opposed to a transaction rejected
// into a receipt).
var (
	ErrBadBlock = errors.New("invalid block")
)

func badBlock(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadBlock, fmt.Sprintf(format, args...))
}

// checkHeader verifies what a header claims about its place in the chain,
// before any transaction runs.
func (l *Ledger) checkHeader(parent *chain.Header, h *chain.Header, st *State) error {
	switch {
	case h.ChainID != l.genesis.ChainID:
		return badBlock("chain id %q, want %q", h.ChainID, l.genesis.ChainID)
	case h.Height != parent.Height+1:
		return badBlock("height %d does not follow head %d", h.Height, parent.Height)
	case h.Parent != parent.Hash():
		return badBlock("parent %s, head is %s", h.Parent, parent.Hash())
	case h.Time <= parent.Time:
		return badBlock("time %d is not after the parent's %d", h.Time, parent.Time)
	}
	// The set of h is final since block h-2 (governance.go): it signs h and
	// its hash is in h's header; the parent's certificate is checked
	// against the parent's own set.
	vs := st.ValidatorsAt(h.Height)
	if h.ValidatorsHash != vs.Hash() {
		return badBlock("validators hash %s, want %s", h.ValidatorsHash, vs.Hash())
	}
	if holder := vs.Holder(st.Seed(), h.Round); h.Proposer != holder {
		return badBlock("proposer %s does not hold the sovereign key at round %d (%s does)", h.Proposer, h.Round, holder)
	}
	if parent.Height == 0 {
		if h.LastCommit != nil {
			return badBlock("block 1 carries a certificate")
		}
		return nil
	}
	lc := h.LastCommit
	if lc == nil || lc.Height != parent.Height || lc.BlockHash != h.Parent {
		return badBlock("missing or misplaced certificate for the parent")
	}
	if err := lc.VerifyWith(l.genesis.ChainID, st.ValidatorsAt(parent.Height), l.recover); err != nil {
		return badBlock("parent certificate: %v", err)
	}
	return nil
}

// run executes b on the head state. In building mode the header's roots are
// filled in and transactions that cannot be included are dropped (reported
// in the execution); otherwise every transaction must be includable and every
// root must match.
func (l *Ledger) run(b *chain.Block, building bool) (*Execution, error) {
	l.mu.RLock()
	parent, base := l.head, l.trie
	l.mu.RUnlock()
	st := l.State()
	h := b.Header
	if err := l.checkHeader(parent, h, st); err != nil {
		return nil, err
	}
	st.SetBlock(BlockContext{Height: h.Height, Time: h.Time, Params: l.genesis.Params, GenesisValidators: l.validators})
	if err := checkReveal(st, h.Proposer, h.Reveal); err != nil {
		return nil, badBlock("%v", err)
	}
	if err := expireDue(st); err != nil {
		return nil, err
	}
	if err := runGovernance(st); err != nil {
		return nil, err
	}
	blockEvents := st.takeEvents()
	recovery := recoverAhead(b.Txs)
	ex := &Execution{Block: b, parent: parent.Hash(), Receipts: make([]*chain.Receipt, 0, len(b.Txs))}
	kept := b.Txs[:0:0]
	size := 0
	p := l.genesis.Params
	for i, tx := range b.Txs {
		recovery.wait(i)
		if len(kept) >= p.BlockMaxTxs || size+tx.Size() > p.BlockMaxBytes {
			if building {
				break
			}
			return nil, badBlock("more than %d transactions or %d bytes", p.BlockMaxTxs, p.BlockMaxBytes)
		}
		rec, err := ApplyTx(st, l.genesis.ChainID, tx)
		if err != nil {
			if st.Err() != nil {
				return nil, st.Err() // storage failure: stop loudly
			}
			if building {
				ex.Dropped = append(ex.Dropped, DroppedTx{Tx: tx, Err: err})
				continue
			}
			return nil, badBlock("tx %d %s: %v", i, tx.Hash(), err)
		}
		kept = append(kept, tx)
		size += tx.Size()
		ex.Receipts = append(ex.Receipts, rec)
	}
	if len(blockEvents) > 0 {
		ex.Receipts = append(ex.Receipts, &chain.Receipt{Events: blockEvents})
	}
	changes, err := st.Changes()
	if err != nil {
		return nil, err
	}
	root, nodes, err := updateTrie(base, changes)
	if err != nil {
		return nil, err
	}
	ex.changes, ex.nodes, ex.expiry = changes, nodes, st.expiryIndexes()
	txRoot, rcRoot := TxRoot(kept), ReceiptRoot(ex.Receipts)
	if building {
		b.Txs = kept
		h.TxRoot, h.ReceiptRoot, h.StateRoot = txRoot, rcRoot, root
		return ex, nil
	}
	switch {
	case h.TxRoot != txRoot:
		return nil, badBlock("tx root %s, computed %s", h.TxRoot, txRoot)
	case h.ReceiptRoot != rcRoot:
		return nil, badBlock("receipt root %s, computed %s", h.ReceiptRoot, rcRoot)
	case h.StateRoot != root:
		return nil, badBlock("state root %s, computed %s", h.StateRoot, root)
	}
	return ex, nil
}

// DroppedTx is a transaction a proposer left out of its block, and why.
type DroppedTx struct {
	Tx  *chain.Tx
	Err error
}

// BlockTemplate is what a proposer fixes before the transactions run.
type BlockTemplate struct {
	Round      uint32
	Time       uint64
	Proposer   [20]byte
	Reveal     [32]byte
	LastCommit *chain.Certificate
}

// Build assembles the next block from candidate transactions: it runs them
// on the head state, drops those that cannot be included, fills in the
// roots, and remembers the execution for Commit.
func (l *Ledger) Build(t BlockTemplate, txs []*chain.Tx) (*chain.Block, *Execution, error) {
	head := l.Head()
	h := &chain.Header{
		ChainID:        l.genesis.ChainID,
		Height:         head.Height + 1,
		Round:          t.Round,
		Time:           t.Time,
		Parent:         head.Hash(),
		Proposer:       t.Proposer,
		Reveal:         t.Reveal,
		ValidatorsHash: l.ValidatorsAt(head.Height + 1).Hash(),
		LastCommit:     t.LastCommit,
	}
	b := &chain.Block{Header: h, Txs: append([]*chain.Tx(nil), txs...)}
	ex, err := l.run(b, true)
	if err != nil {
		return nil, nil, err
	}
	l.remember(b.Hash(), ex)
	return b, ex, nil
}

// expireDue is the chain's own work at the start of a block, before any
// transaction can touch what it ends: escrows and payment requests whose
// expiry the block's time has passed, at most ExpiriesPerBlock of them
// together, the earliest first; the rest are carried over to the next
// blocks (docs/adr/0032-bounded-block-work.md).
func expireDue(st *State) error {
	budget := st.block.Params.ExpiriesPerBlock()
	expired, err := expireEscrows(st, budget)
	if err != nil {
		return err
	}
	return expireRequests(st, budget-expired)
}
