package node

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// proposer builds this validator's blocks: the pool's executable
// transactions on the ledger's head, stamped with its clock and its next
// hash-chain reveal. It reads; only the driver goroutine calls it.
type proposer struct {
	ledger *ledger.Ledger
	pool   *txpool.Pool
	chains *hashChains
	self   common.Address
	params chain.Params
	log    *slog.Logger
}

func (p *proposer) build(req *consensus.ProposeRequest, now time.Time) (*chain.Block, error) {
	head := p.ledger.Head()
	if req.Height != head.Height+1 {
		return nil, fmt.Errorf("asked to propose height %d on head %d", req.Height, head.Height)
	}
	vstate, ok := p.ledger.State().Validator(p.self)
	if !ok {
		return nil, fmt.Errorf("no reveal state for %s", p.self)
	}
	reveal, err := p.chains.reveal(vstate)
	if err != nil {
		return nil, fmt.Errorf("next reveal: %w", err)
	}
	ts := uint64(now.UnixMilli())
	if ts <= head.Time {
		ts = head.Time + 1 // block time strictly increases even if our clock lags
	}
	txs := p.pool.Pending(p.params.BlockMaxTxs, p.params.BlockMaxBytes)
	b, ex, err := p.ledger.Build(ledger.BlockTemplate{
		Round: req.Round, Time: ts, Proposer: p.self, Reveal: reveal, LastCommit: req.LastCommit,
	}, txs)
	if err != nil {
		return nil, fmt.Errorf("build block %d: %w", req.Height, err)
	}
	for _, dr := range ex.Dropped { // the pool logs a summary of these, not a line each
		p.pool.Remove(dr.Tx.Hash(), dr.Err)
	}
	return b, nil
}
