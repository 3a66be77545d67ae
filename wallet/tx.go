package wallet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Transaction statuses as the node reports them.
const (
	StatusPending  = "pending"
	StatusFinal    = "final"
	StatusRejected = "rejected"
)

// SignTx builds a transaction and signs it: the first key is the sender, any
// others co-sign (for example a withdrawal key).
func SignTx(chainID string, nonce uint64, body chain.Body, keys ...*ecdsa.PrivateKey) (*chain.Tx, error) {
	if len(keys) == 0 {
		return nil, errors.New("sign transaction: no key")
	}
	tx := chain.NewTx(chainID, nonce, body)
	for _, k := range keys {
		if err := tx.Sign(k); err != nil {
			return nil, err
		}
	}
	return tx, nil
}

// TransferBody builds a transfer of amount (a decimal string in the asset's
// units, e.g. "12.34") of an asset with the given decimals.
func TransferBody(to common.Address, asset, amount string, decimals uint8) (chain.Transfer, error) {
	v, err := chain.ParseAmount(amount, decimals)
	return chain.Transfer{To: to, Asset: asset, Amount: v}, err
}

// MintBody builds a mint of amount to an account the sending bank services.
func MintBody(to common.Address, asset, amount string, decimals uint8) (chain.Mint, error) {
	v, err := chain.ParseAmount(amount, decimals)
	return chain.Mint{To: to, Asset: asset, Amount: v}, err
}

// BurnBody builds a burn of amount from the sending bank's own balance.
func BurnBody(asset, amount string, decimals uint8) (chain.Burn, error) {
	v, err := chain.ParseAmount(amount, decimals)
	return chain.Burn{Asset: asset, Amount: v}, err
}

// Submit signs body with key (and co-signers, then the client's own
// co-signers: SetCosigners) at the sender's next nonce, sends it and
// returns the signed transaction. A refusal is an *RPCError whose Code is
// the rejection code. With SetSignOnly it returns the signed transaction
// without sending it.
func (c *Client) Submit(ctx context.Context, body chain.Body, key *ecdsa.PrivateKey, cosigners ...*ecdsa.PrivateKey) (*chain.Tx, error) {
	info, err := c.staticInfo(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := c.NextNonce(ctx, crypto.PubkeyToAddress(key.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("sender nonce: %w", err)
	}
	tx, err := SignTx(info.ChainID, nonce, body, c.signingKeys(key, cosigners)...)
	if err != nil {
		return nil, err
	}
	if c.signOnly {
		return tx, nil
	}
	if _, err := c.SendTx(ctx, tx); err != nil {
		return tx, err
	}
	return tx, nil
}

// amount parses a decimal amount of asset using the chain's decimals.
func (c *Client) amount(ctx context.Context, asset, amount string) (uint64, error) {
	d, err := c.Decimals(ctx, asset)
	if err != nil {
		return 0, err
	}
	v, err := chain.ParseAmount(amount, d)
	if err != nil {
		return 0, fmt.Errorf("%s amount: %w", asset, err)
	}
	return v, nil
}

// Transfer sends amount ("12.34") of asset from key's account to to.
func (c *Client) Transfer(ctx context.Context, key *ecdsa.PrivateKey, to common.Address, asset, amount string) (*chain.Tx, error) {
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.Transfer{To: to, Asset: asset, Amount: v}, key)
}

// Mint creates amount of asset in to's account; key must be an issuing bank.
func (c *Client) Mint(ctx context.Context, key *ecdsa.PrivateKey, to common.Address, asset, amount string) (*chain.Tx, error) {
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.Mint{To: to, Asset: asset, Amount: v}, key)
}

// Burn destroys amount of asset from the issuing bank's own balance.
func (c *Client) Burn(ctx context.Context, key *ecdsa.PrivateKey, asset, amount string) (*chain.Tx, error) {
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.Burn{Asset: asset, Amount: v}, key)
}

// RegisterAccount makes account exist, serviced by key's bank.
func (c *Client) RegisterAccount(ctx context.Context, key *ecdsa.PrivateKey, account common.Address) (*chain.Tx, error) {
	return c.Submit(ctx, chain.RegisterAccount{Account: account}, key)
}

// WaitFinal blocks until the transaction is final or rejected, or ctx ends.
// It returns the transaction as it stands; when the transaction was rejected
// (at admission or by its receipt) the error is an *RPCError carrying the
// rejection code, so callers handle both kinds of refusal alike.
func (c *Client) WaitFinal(ctx context.Context, hash common.Hash) (*rpc.Transaction, error) {
	longPoll := true
	var last *rpc.Transaction
	for {
		var tx *rpc.Transaction
		var err error
		// Long-poll on the node, ending a little before ctx so that the
		// answer still arrives; poll when that leaves no time.
		wait := 30 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(dl)-100*time.Millisecond)
		}
		if longPoll && wait > 0 {
			tx, err = c.WaitTransaction(ctx, hash, wait)
			if IsCode(err, "method_not_found") {
				longPoll = false // an older node: poll instead
				continue
			}
		} else {
			tx, err = c.Transaction(ctx, hash)
		}
		if ctx.Err() != nil {
			if tx == nil {
				tx = last
			}
			status := "unknown"
			if tx != nil {
				status = tx.Status
			}
			return tx, fmt.Errorf("waiting for %s (still %s): %w", hash.Hex(), status, ctx.Err())
		}
		if err != nil {
			return tx, err
		}
		last = tx
		switch {
		case tx.Status == StatusRejected || tx.Status == StatusFinal && tx.Code != "":
			return tx, rejection(tx)
		case tx.Status == StatusFinal:
			return tx, nil
		}
		if !longPoll || wait <= 0 {
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// rejection describes a refused transaction as an RPCError.
func rejection(tx *rpc.Transaction) *RPCError {
	h := tx.Hash
	msg := fmt.Sprintf("transaction %s rejected at admission: %s", h.Hex(), tx.Code)
	if tx.Height != nil {
		msg = fmt.Sprintf("transaction %s rejected in block %d: %s", h.Hex(), *tx.Height, tx.Code)
	}
	return &RPCError{Num: rpc.CodeRejected, Code: tx.Code, Message: msg, Hash: &h}
}

// SetCosigners makes every transaction this client submits carry these
// keys' co-signatures after the sender's (and after any a method adds
// itself, such as a withdrawal key): an account policy's verification
// key, guardians or supervisor (docs/POLICIES.md). A key that signs
// already is not added twice. Call it before the client is used.
func (c *Client) SetCosigners(keys ...*ecdsa.PrivateKey) { c.cosigners = keys }

// WithCosigners is a client on the same connection whose transactions
// carry these co-signatures (SetCosigners) instead of c's. Closing either
// closes the connection.
func (c *Client) WithCosigners(keys ...*ecdsa.PrivateKey) *Client {
	c.mu.Lock()
	info := c.info
	c.mu.Unlock()
	return &Client{c: c.c, url: c.url, info: info, cosigners: keys, signOnly: c.signOnly}
}

// SetSignOnly makes Submit (and so every transaction method) return the
// signed transaction without sending it: the first step of co-signing on
// several machines (SignFile, docs/POLICIES.md). Call it before the
// client is used.
func (c *Client) SetSignOnly(on bool) { c.signOnly = on }

// signingKeys is the sender's key, then every co-signer once.
func (c *Client) signingKeys(key *ecdsa.PrivateKey, cosigners []*ecdsa.PrivateKey) []*ecdsa.PrivateKey {
	keys := []*ecdsa.PrivateKey{key}
	seen := map[common.Address]bool{cryptoAddress(key): true}
	for _, k := range append(slices.Clone(cosigners), c.cosigners...) {
		if a := cryptoAddress(k); !seen[a] {
			seen[a] = true
			keys = append(keys, k)
		}
	}
	return keys
}
