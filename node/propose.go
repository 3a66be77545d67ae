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
	clock  Clock
	// perTx is the recent cost of building a block, per transaction; it
	// sizes the next block (maxTxs).
	perTx time.Duration
}

// A block must reach the other validators while its time stamp is still
// timely and before their propose timeout (500 ms by default) runs out, and
// its time is stamped before it is built. So the proposer takes no more
// transactions than it builds in buildBudget at its recent cost per
// transaction: on a loaded machine, blocks of 10,000 took seconds to build,
// arrived late and were refused round after round (issue 11). It always
// takes at least minBlockTxs, so a slow build still moves the pool.
const (
	buildBudget = 150 * time.Millisecond
	minBlockTxs = 500
)

// maxTxs is how many transactions the next block may take.
func (p *proposer) maxTxs() int {
	if p.perTx <= 0 {
		return p.params.BlockMaxTxs
	}
	return max(minBlockTxs, min(p.params.BlockMaxTxs, int(buildBudget/p.perTx)))
}

// measured folds a build of n transactions that took d into perTx. Small
// blocks say little about the cost per transaction and are not counted.
func (p *proposer) measured(n int, d time.Duration) {
	if n < 100 {
		return
	}
	sample := d / time.Duration(n)
	if p.perTx == 0 {
		p.perTx = sample
		return
	}
	p.perTx = (3*p.perTx + sample) / 4
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
	start := p.clock.Now()
	txs := p.pool.Pending(p.maxTxs(), p.params.BlockMaxBytes)
	b, ex, err := p.ledger.Build(ledger.BlockTemplate{
		Round: req.Round, Time: ts, Proposer: p.self, Reveal: reveal, LastCommit: req.LastCommit,
	}, txs)
	if err != nil {
		return nil, fmt.Errorf("build block %d: %w", req.Height, err)
	}
	p.measured(len(txs), p.clock.Since(start))
	for _, dr := range ex.Dropped { // the pool logs a summary of these, not a line each
		p.pool.Remove(dr.Tx.Hash(), dr.Err)
	}
	return b, nil
}
