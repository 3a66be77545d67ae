package wallet

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Hold opens an escrow of amount of asset for payee, expiring expires from
// now in block time (counted from the later of the latest final block's
// time and this machine's clock). The escrow's id is the returned
// transaction's hash.
func (c *Client) Hold(ctx context.Context, key *ecdsa.PrivateKey, payee common.Address, asset, amount string, expires time.Duration, arbiter common.Address) (*chain.Tx, error) {
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	expiry, err := c.expiryIn(ctx, expires)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.Hold{Payee: payee, Asset: asset, Amount: v, Expiry: expiry, Arbiter: arbiter}, key)
}

// expiryIn is the block time expires from now, counted from the later of
// the latest final block's time and this machine's clock.
func (c *Client) expiryIn(ctx context.Context, expires time.Duration) (uint64, error) {
	if expires <= 0 {
		return 0, fmt.Errorf("expiry must be in the future, got %s", expires)
	}
	head, err := c.BlockByNumber(ctx, rpc.Latest, false)
	if err != nil {
		return 0, fmt.Errorf("latest block time: %w", err)
	}
	base := max(head.Time, uint64(time.Now().UnixMilli()))
	return base + uint64(expires.Milliseconds()), nil
}

// Release releases an escrow to its payee: all of it when amount is "",
// else that much (the rest returns to the payer).
func (c *Client) Release(ctx context.Context, key *ecdsa.PrivateKey, escrow common.Hash, amount string) (*chain.Tx, error) {
	var v uint64
	if amount != "" {
		e, err := c.Escrow(ctx, escrow)
		if err != nil {
			return nil, err
		}
		if v, err = c.amount(ctx, e.Asset, amount); err != nil {
			return nil, err
		}
		if v == 0 {
			return nil, fmt.Errorf("release amount must be positive (omit it to release everything)")
		}
	}
	return c.Submit(ctx, chain.Release{Escrow: escrow, Amount: v}, key)
}

// Refund returns an escrow's hold to its payer (sent by payee or arbiter).
func (c *Client) Refund(ctx context.Context, key *ecdsa.PrivateKey, escrow common.Hash) (*chain.Tx, error) {
	return c.Submit(ctx, chain.Refund{Escrow: escrow}, key)
}

// SetWithdrawalKey registers newKey as key's withdrawal key; current must be
// the key registered now, if any (it co-signs the change).
func (c *Client) SetWithdrawalKey(ctx context.Context, key *ecdsa.PrivateKey, newKey common.Address, current *ecdsa.PrivateKey) (*chain.Tx, error) {
	var co []*ecdsa.PrivateKey
	if current != nil {
		co = append(co, current)
	}
	return c.Submit(ctx, chain.SetWithdrawalKey{Key: newKey}, key, co...)
}

// Withdraw burns amount of asset from key's account for a payout into the
// bank account described by details, which are encrypted to the account's
// servicing bank's public key. withdrawalKey co-signs when the account has
// one registered.
func (c *Client) Withdraw(ctx context.Context, key *ecdsa.PrivateKey, asset, amount string, details []byte, withdrawalKey *ecdsa.PrivateKey) (*chain.Tx, error) {
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	from := cryptoAddress(key)
	acct, err := c.Account(ctx, from, "")
	if err != nil {
		return nil, err
	}
	bank, err := c.Bank(ctx, acct.Bank)
	if err != nil {
		return nil, err
	}
	pub, err := bankPubKey(bank)
	if err != nil {
		return nil, err
	}
	ct, err := encryptPayout(pub, details)
	if err != nil {
		return nil, err
	}
	var co []*ecdsa.PrivateKey
	if withdrawalKey != nil {
		co = append(co, withdrawalKey)
	}
	return c.Submit(ctx, chain.Withdraw{Asset: asset, Amount: v, Details: ct}, key, co...)
}

// Feedback reports what the bank (key) did in its books for a record
// (escrow or payout): kind as named in docs/ESCROW.md, amount, asset and
// the bank's own reference.
func (c *Client) Feedback(ctx context.Context, key *ecdsa.PrivateKey, record common.Hash, kind, asset, amount, ref string) (*chain.Tx, error) {
	k, ok := chain.ParseFeedbackKind(kind)
	if !ok {
		return nil, fmt.Errorf("feedback kind %q: want hold_placed, hold_released, debit_executed, refund_executed, payout_executed or reversal", kind)
	}
	v, err := c.amount(ctx, asset, amount)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, chain.Feedback{Kind: k, Record: record, Asset: asset, Amount: v, Ref: ref}, key)
}

// Escrow calls sov_getEscrow.
func (c *Client) Escrow(ctx context.Context, id common.Hash) (*rpc.Escrow, error) {
	var out rpc.Escrow
	if err := c.call(ctx, &out, "sov_getEscrow", id); err != nil {
		return nil, err
	}
	return &out, nil
}

// Escrows calls sov_listEscrows.
func (c *Client) Escrows(ctx context.Context, q rpc.EscrowList) ([]rpc.Escrow, error) {
	var out []rpc.Escrow
	err := c.call(ctx, &out, "sov_listEscrows", q)
	return out, err
}

// Payout calls sov_getPayout.
func (c *Client) Payout(ctx context.Context, id common.Hash) (*rpc.Payout, error) {
	var out rpc.Payout
	if err := c.call(ctx, &out, "sov_getPayout", id); err != nil {
		return nil, err
	}
	return &out, nil
}

// Payouts calls sov_listPayouts.
func (c *Client) Payouts(ctx context.Context, q rpc.BankRange) ([]rpc.Payout, error) {
	var out []rpc.Payout
	err := c.call(ctx, &out, "sov_listPayouts", q)
	return out, err
}

// Reconciliation calls sov_reconciliation.
func (c *Client) Reconciliation(ctx context.Context, q rpc.BankRange) (*rpc.Reconciliation, error) {
	var out rpc.Reconciliation
	if err := c.call(ctx, &out, "sov_reconciliation", q); err != nil {
		return nil, err
	}
	return &out, nil
}

// Bank calls sov_getBank.
func (c *Client) Bank(ctx context.Context, addr common.Address) (*rpc.Bank, error) {
	var out rpc.Bank
	if err := c.call(ctx, &out, "sov_getBank", addr); err != nil {
		return nil, err
	}
	return &out, nil
}

// SubscribeAccountEvents delivers every final event concerning addr
// (WebSocket connections only).
func (c *Client) SubscribeAccountEvents(ctx context.Context, addr common.Address, ch chan<- rpc.Notice) (*gethrpc.ClientSubscription, error) {
	sub, err := c.c.Subscribe(ctx, rpc.Namespace, ch, "accountEvents", addr)
	return sub, c.convert(err)
}

func cryptoAddress(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }
