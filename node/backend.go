package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// backend is the node as the RPC service sees it.
type backend struct{ n *Node }

var _ rpc.Backend = backend{}

func (b backend) Genesis() *chain.Genesis { return b.n.cfg.Genesis }

func (b backend) SubmitTx(tx *chain.Tx) error { return b.SubmitTxs([]*chain.Tx{tx})[0] }

// SubmitTxs admits transactions (signatures recovered in parallel by the
// pool) and queues the admitted ones for gossip.
func (b backend) SubmitTxs(txs []*chain.Tx) []error {
	errs := make([]error, len(txs))
	fresh := make([]*chain.Tx, 0, len(txs))
	at := make([]int, 0, len(txs))
	for i, tx := range txs {
		if loc, ok, err := b.n.store.TxLocation(tx.Hash()); err != nil {
			errs[i] = err
		} else if ok {
			errs[i] = fmt.Errorf("%w: final in block %d", chain.ErrAlreadyKnown, loc.Height)
		} else {
			fresh, at = append(fresh, tx), append(at, i)
		}
	}
	for j, err := range b.n.pool.Add(fresh) {
		errs[at[j]] = err
		if err == nil && b.n.net != nil {
			b.n.outTxs <- fresh[j]
		}
	}
	return errs
}

func (b backend) LookupTx(hash common.Hash) (rpc.TxLookup, bool, error) {
	store := b.n.store
	loc, ok, err := store.TxLocation(hash)
	if err != nil {
		return rpc.TxLookup{}, false, err
	}
	if ok {
		blk, err := store.BlockByHeight(loc.Height)
		if err != nil {
			return rpc.TxLookup{}, false, err
		}
		rs, err := store.Receipts(loc.Height)
		if err != nil {
			return rpc.TxLookup{}, false, err
		}
		if int(loc.Index) >= len(blk.Txs) || int(loc.Index) >= len(rs) {
			return rpc.TxLookup{}, false, fmt.Errorf("tx index %s points past block %d", hash, loc.Height)
		}
		rec := rs[loc.Index]
		l := rpc.TxLookup{Tx: blk.Txs[loc.Index], Status: "final", Height: loc.Height, Index: int(loc.Index), Receipt: rec, Code: rec.Code}
		if !rec.OK() {
			l.Status = "rejected"
		}
		return l, true, nil
	}
	if tx := b.n.pool.Get(hash); tx != nil {
		return rpc.TxLookup{Tx: tx, Status: "pending"}, true, nil
	}
	if code, ok := b.n.pool.Rejected(hash); ok {
		return rpc.TxLookup{Status: "rejected", Code: code}, true, nil
	}
	return rpc.TxLookup{}, false, nil
}

func (b backend) BlockByNumber(h uint64) (*chain.Block, *chain.Certificate, []*chain.Receipt, error) {
	blk, err := b.n.store.BlockByHeight(h)
	if err != nil {
		return nil, nil, nil, err
	}
	rs, err := b.n.store.Receipts(h)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := b.n.store.Certificate(h)
	if errors.Is(err, chain.ErrNotFound) {
		cert, err = nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return blk, cert, rs, nil
}

func (b backend) Account(addr common.Address) (*chain.Account, bool, error) {
	return b.n.ledger.Account(addr)
}

func (b backend) Proof(key []byte) (rpc.StateProof, error) {
	value, nodes, head, err := b.n.ledger.Prove(key)
	if err != nil {
		return rpc.StateProof{}, err
	}
	return rpc.StateProof{Key: key, Value: value, Nodes: nodes, Header: head}, nil
}

func (b backend) Info() rpc.ChainStatus {
	head := b.n.ledger.Head()
	st := b.n.driver.Status()
	return rpc.ChainStatus{
		ChainID:     b.n.cfg.Genesis.ChainID,
		GenesisHash: b.n.ledger.GenesisHash(),
		Height:      head.Height,
		FinalHeight: head.Height,
		Round:       st.Round,
		Holder:      st.Holder,
		Validators:  b.n.ledger.Validators().Validators,
		Self:        b.n.self,
		PeerCount:   b.n.peerCount(),
	}
}

func (b backend) WaitFinal(ctx context.Context, h uint64) error {
	for {
		wake := b.n.finalSignal()
		if b.n.ledger.Head().Height >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		}
	}
}

// PendingNonce lets sov_getAccount report the nonce a wallet should use
// next while earlier transactions of the account still wait in the pool.
func (b backend) PendingNonce(addr common.Address) (uint64, bool) {
	return b.n.pool.PendingNonce(addr)
}
