package node

import (
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/chain"
)

// TestBlockSizeFollowsBuildCost: the proposer takes what it builds within
// buildBudget at its recent cost per transaction, between minBlockTxs and
// the chain's block_max_txs; small builds do not move the estimate.
func TestBlockSizeFollowsBuildCost(t *testing.T) {
	params := chain.DefaultParams
	params.BlockMaxTxs = 10000
	for _, tc := range []struct {
		name   string
		builds [][2]int // transactions, µs per transaction
		want   int
	}{
		{"nothing measured yet", nil, 10000},
		{"cheap builds: the chain's cap", [][2]int{{1000, 5}}, 10000},
		{"30 µs a transaction", [][2]int{{1000, 30}}, 5000},
		{"slow machine: never below the floor", [][2]int{{1000, 2000}}, minBlockTxs},
		{"small blocks say nothing", [][2]int{{50, 2000}}, 10000},
		{"a slower build moves it a quarter", [][2]int{{1000, 30}, {1000, 70}}, int(buildBudget / (40 * time.Microsecond))},
	} {
		p := &proposer{params: params}
		for _, b := range tc.builds {
			p.measured(b[0], time.Duration(b[0]*b[1])*time.Microsecond)
		}
		if got := p.maxTxs(); got != tc.want {
			t.Errorf("%s: %d transactions, want %d", tc.name, got, tc.want)
		}
	}
}
