package wallet

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// DefaultProposalWindow is how long a proposal stays open for votes unless
// the proposer says otherwise.
const DefaultProposalWindow = 24 * time.Hour

// Propose proposes a governance change from a validator's key, open for
// votes for window of block time counted from the latest final block's
// time (the chain bounds the window by block time, whatever this machine's
// clock says). The proposal's id is the returned transaction's hash; the
// proposer's own approval counts.
func (c *Client) Propose(ctx context.Context, key *ecdsa.PrivateKey, change chain.Change, window time.Duration) (*chain.Tx, error) {
	if err := change.Validate(); err != nil {
		return nil, err
	}
	if window <= 0 || window > chain.MaxProposalWindow {
		return nil, fmt.Errorf("proposal window %s: want more than 0 and at most %s", window, chain.MaxProposalWindow)
	}
	head, err := c.BlockByNumber(ctx, rpc.Latest, false)
	if err != nil {
		return nil, fmt.Errorf("latest block time: %w", err)
	}
	deadline := head.Time + uint64(window.Milliseconds())
	return c.Submit(ctx, chain.GovPropose{Change: change, Deadline: deadline}, key)
}

// Vote approves an open proposal from a validator's key.
func (c *Client) Vote(ctx context.Context, key *ecdsa.PrivateKey, proposal common.Hash) (*chain.Tx, error) {
	return c.Submit(ctx, chain.GovVote{Proposal: proposal}, key)
}

// Validators is sov_getValidators: the set in force at height (nil: the
// final height).
func (c *Client) Validators(ctx context.Context, height *uint64) (*rpc.ValidatorSet, error) {
	var out rpc.ValidatorSet
	var arg any
	if height != nil {
		arg = hexutil.Uint64(*height)
	}
	if err := c.call(ctx, &out, "sov_getValidators", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// Proposals is sov_listProposals.
func (c *Client) Proposals(ctx context.Context, q rpc.ProposalQuery) ([]rpc.Proposal, error) {
	var out []rpc.Proposal
	return out, c.call(ctx, &out, "sov_listProposals", q)
}

// Proposal is sov_getProposal.
func (c *Client) Proposal(ctx context.Context, id common.Hash) (*rpc.Proposal, error) {
	var out rpc.Proposal
	if err := c.call(ctx, &out, "sov_getProposal", id); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetChanges is sov_getSetChanges: every change of the validator set up
// to the final height with its proof (wallet/proof.FollowSet checks them).
func (c *Client) SetChanges(ctx context.Context) ([]rpc.SetChange, error) {
	var out []rpc.SetChange
	return out, c.call(ctx, &out, "sov_getSetChanges")
}
