package wallet

import (
	"context"

	"github.com/sovereign-ledger/sovereign/rpc"
)

// KeyPath returns the last count final blocks with their proposers, seeds
// and the holders who missed their rounds (sov_keyPath).
func (c *Client) KeyPath(ctx context.Context, count int) ([]rpc.KeyStep, error) {
	var out []rpc.KeyStep
	return out, c.call(ctx, &out, "sov_keyPath", count)
}

// AccountHistory returns an account's events over a range of recent final
// blocks, newest first (sov_accountHistory).
func (c *Client) AccountHistory(ctx context.Context, q rpc.HistoryQuery) (*rpc.History, error) {
	var out rpc.History
	return &out, c.call(ctx, &out, "sov_accountHistory", q)
}
