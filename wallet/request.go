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

// RequestOptions are a payment request's terms besides payer and amount.
type RequestOptions struct {
	Expires time.Duration // from now, in block time
	// ExpiryAt, when not zero, is the expiry as a block time (ms) instead.
	ExpiryAt uint64
	Ref      string // the merchant's order reference (at most 35 characters)
	Escrow   bool   // pay into escrow rather than directly
	Arbiter  common.Address
	HoldFor  time.Duration // escrow: how long the hold lasts after the accept
}

// DefaultHoldFor is how long an escrow paid by accepting a request lasts
// when the request does not say.
const DefaultHoldFor = 7 * 24 * time.Hour

// Request asks payer (an address, or an alias: a phone number in
// international form or an e-mail address) to pay amount of asset to key's
// account. The request's id is the returned transaction's hash.
func (c *Client) Request(ctx context.Context, key *ecdsa.PrivateKey, payer, asset, amount string, o RequestOptions) (*chain.Tx, error) {
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	body := chain.PaymentRequest{Asset: asset, Amount: v, Ref: o.Ref, Mode: chain.SettleDirect}
	if common.IsHexAddress(payer) {
		body.Payer = common.HexToAddress(payer)
	} else if body.PayerAlias, err = c.aliasHash(ctx, payer); err != nil {
		return nil, err
	}
	if len(o.Ref) > chain.MaxRequestRef {
		return nil, fmt.Errorf("order reference %q is longer than %d characters", o.Ref, chain.MaxRequestRef)
	}
	if body.Expiry = o.ExpiryAt; body.Expiry == 0 {
		if body.Expiry, err = c.expiryIn(ctx, o.Expires); err != nil {
			return nil, err
		}
	}
	if o.Escrow {
		hold := o.HoldFor
		if hold == 0 {
			hold = DefaultHoldFor
		}
		body.Mode, body.HoldFor, body.Arbiter = chain.SettleEscrow, uint64(hold.Milliseconds()), o.Arbiter
	} else if o.Arbiter != (common.Address{}) {
		return nil, fmt.Errorf("an arbiter needs escrow settlement")
	}
	return c.Submit(ctx, body, key)
}

// aliasHash normalizes a clear alias and hashes it under the chain's salt.
func (c *Client) aliasHash(ctx context.Context, alias string) (common.Hash, error) {
	g, err := c.Genesis(ctx)
	if err != nil {
		return common.Hash{}, fmt.Errorf("read the chain's alias salt: %w", err)
	}
	return g.HashAlias(alias)
}

// Accept pays request id from key's account: exactly the amount and asset
// the request asks, read from the chain and signed by the payer.
func (c *Client) Accept(ctx context.Context, key *ecdsa.PrivateKey, id common.Hash) (*chain.Tx, error) {
	r, err := c.PaymentRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.Accept{Request: id, Asset: r.Asset, Amount: r.AmountUnits}, key)
}

// Decline refuses request id with a reason code.
func (c *Client) Decline(ctx context.Context, key *ecdsa.PrivateKey, id common.Hash, reason string) (*chain.Tx, error) {
	if !chain.ValidReason(reason) {
		return nil, fmt.Errorf("reason code %q: 1-%d letters, digits, '_' or '-'", reason, chain.MaxDeclineReason)
	}
	return c.Submit(ctx, chain.Decline{Request: id, Reason: reason}, key)
}

// CancelRequest withdraws an open request key's account made.
func (c *Client) CancelRequest(ctx context.Context, key *ecdsa.PrivateKey, id common.Hash) (*chain.Tx, error) {
	return c.Submit(ctx, chain.CancelRequest{Request: id}, key)
}

// BindAlias binds a clear alias to account (key is its servicing bank).
// Only the alias's salted hash goes on chain.
func (c *Client) BindAlias(ctx context.Context, key *ecdsa.PrivateKey, account common.Address, alias string) (*chain.Tx, error) {
	h, err := c.aliasHash(ctx, alias)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.BindAlias{Alias: h, Account: account}, key)
}

// UnbindAlias removes the binding key's bank made of alias.
func (c *Client) UnbindAlias(ctx context.Context, key *ecdsa.PrivateKey, alias string) (*chain.Tx, error) {
	h, err := c.aliasHash(ctx, alias)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.UnbindAlias{Alias: h}, key)
}

// PaymentRequest calls sov_getRequest.
func (c *Client) PaymentRequest(ctx context.Context, id common.Hash) (*rpc.Request, error) {
	var out rpc.Request
	if err := c.call(ctx, &out, "sov_getRequest", id); err != nil {
		return nil, err
	}
	return &out, nil
}

// PaymentRequests calls sov_listRequests.
func (c *Client) PaymentRequests(ctx context.Context, q rpc.RequestList) ([]rpc.Request, error) {
	var out []rpc.Request
	err := c.call(ctx, &out, "sov_listRequests", q)
	return out, err
}

// ResolveAlias calls sov_resolveAlias.
func (c *Client) ResolveAlias(ctx context.Context, alias string) (*rpc.AliasResolution, error) {
	var out rpc.AliasResolution
	if err := c.call(ctx, &out, "sov_resolveAlias", alias); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindBankRecords calls sov_findBankRecords.
func (c *Client) FindBankRecords(ctx context.Context, q rpc.EndToEndQuery) ([]rpc.RecordMatch, error) {
	var out []rpc.RecordMatch
	err := c.call(ctx, &out, "sov_findBankRecords", q)
	return out, err
}

// SendRawTransactions calls sov_sendRawTransactions with signed
// transactions, in batches the node accepts.
func (c *Client) SendRawTransactions(ctx context.Context, txs []*chain.Tx) ([]rpc.SubmitResult, error) {
	var out []rpc.SubmitResult
	for start := 0; start < len(txs); start += rpc.MaxBatchTxs {
		end := min(start+rpc.MaxBatchTxs, len(txs))
		raws := make([]hexutil.Bytes, 0, end-start)
		for _, tx := range txs[start:end] {
			raws = append(raws, tx.Bytes())
		}
		var part []rpc.SubmitResult
		if err := c.call(ctx, &part, "sov_sendRawTransactions", raws); err != nil {
			return out, err
		}
		out = append(out, part...)
	}
	return out, nil
}
