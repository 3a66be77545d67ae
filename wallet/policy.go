package wallet

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Account policies, supervisor approval and purchase sub-accounts
// (docs/POLICIES.md): their transactions and queries. Co-signatures a
// policy requires come from SetCosigners (or a method's own cosigners),
// added by Submit.

// SetPolicy sets account's policy; key is the account's servicing bank
// (any valid policy) or the account itself (only a tighter one).
func (c *Client) SetPolicy(ctx context.Context, key *ecdsa.PrivateKey, account common.Address, p chain.Policy) (*chain.Tx, error) {
	return c.Submit(ctx, chain.SetPolicy{Account: account, Policy: p}, key)
}

// ApprovePayment approves a payment waiting for key (its supervisor): the
// payment executes in this transaction.
func (c *Client) ApprovePayment(ctx context.Context, key *ecdsa.PrivateKey, payment common.Hash) (*chain.Tx, error) {
	return c.Submit(ctx, chain.ApprovePayment{Payment: payment}, key)
}

// RejectPayment rejects a payment waiting for key (its supervisor), with a
// reason code.
func (c *Client) RejectPayment(ctx context.Context, key *ecdsa.PrivateKey, payment common.Hash, reason string) (*chain.Tx, error) {
	if !chain.ValidReason(reason) {
		return nil, fmt.Errorf("reason code %q: 1-%d letters, digits, '_' or '-'", reason, chain.MaxDeclineReason)
	}
	return c.Submit(ctx, chain.RejectPayment{Payment: payment, Reason: reason}, key)
}

// RecallPayment withdraws key's own waiting payment.
func (c *Client) RecallPayment(ctx context.Context, key *ecdsa.PrivateKey, payment common.Hash) (*chain.Tx, error) {
	return c.Submit(ctx, chain.RecallPayment{Payment: payment}, key)
}

// CreateSubAccount makes sub main's purchase sub-account; key is main or
// its servicing bank.
func (c *Client) CreateSubAccount(ctx context.Context, key *ecdsa.PrivateKey, main, sub common.Address, t chain.SubTerms) (*chain.Tx, error) {
	return c.Submit(ctx, chain.CreateSubAccount{Main: main, Sub: sub, Terms: t}, key)
}

// SetSubAccount replaces a sub-account's terms.
func (c *Client) SetSubAccount(ctx context.Context, key *ecdsa.PrivateKey, sub common.Address, t chain.SubTerms) (*chain.Tx, error) {
	return c.Submit(ctx, chain.SetSubAccount{Sub: sub, Terms: t}, key)
}

// FreezeSubAccount freezes (or, frozen false, thaws) a sub-account.
func (c *Client) FreezeSubAccount(ctx context.Context, key *ecdsa.PrivateKey, sub common.Address, frozen bool) (*chain.Tx, error) {
	return c.Submit(ctx, chain.FreezeSubAccount{Sub: sub, Frozen: frozen}, key)
}

// CloseSubAccount closes a sub-account; what remains returns to its main
// account.
func (c *Client) CloseSubAccount(ctx context.Context, key *ecdsa.PrivateKey, sub common.Address) (*chain.Tx, error) {
	return c.Submit(ctx, chain.CloseSubAccount{Sub: sub}, key)
}

// Policy calls sov_getPolicy.
func (c *Client) Policy(ctx context.Context, account common.Address) (*rpc.Policy, error) {
	var out rpc.Policy
	if err := c.call(ctx, &out, "sov_getPolicy", account); err != nil {
		return nil, err
	}
	return &out, nil
}

// PendingApprovals calls sov_pendingApprovals: a supervisor's or a payer's
// payments, by default those awaiting approval.
func (c *Client) PendingApprovals(ctx context.Context, q rpc.ApprovalList) ([]rpc.Approval, error) {
	var out []rpc.Approval
	err := c.call(ctx, &out, "sov_pendingApprovals", q)
	return out, err
}

// Approval calls sov_getApproval.
func (c *Client) Approval(ctx context.Context, id common.Hash) (*rpc.Approval, error) {
	var out rpc.Approval
	if err := c.call(ctx, &out, "sov_getApproval", id); err != nil {
		return nil, err
	}
	return &out, nil
}

// SubAccount calls sov_getSubAccount: terms, remaining allowance and
// period reset times.
func (c *Client) SubAccount(ctx context.Context, sub common.Address) (*rpc.SubAccount, error) {
	var out rpc.SubAccount
	if err := c.call(ctx, &out, "sov_getSubAccount", sub); err != nil {
		return nil, err
	}
	return &out, nil
}

// ParseTiers reads tiers as the CLI writes them: "CNY:500,5000" (amounts in
// the asset's units), several assets separated by ';' or given as several
// strings. decimals gives each asset's decimals; the result is sorted by
// asset as a policy needs.
func ParseTiers(specs []string, decimals func(asset string) (uint8, error)) ([]chain.Tier, error) {
	var tiers []chain.Tier
	for _, spec := range specs {
		for _, part := range strings.Split(spec, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			asset, limits, ok := strings.Cut(part, ":")
			small, normal, ok2 := strings.Cut(limits, ",")
			if !ok || !ok2 || asset == "" {
				return nil, fmt.Errorf("tier %q: want ASSET:SMALL,NORMAL, e.g. CNY:500,5000", part)
			}
			d, err := decimals(asset)
			if err != nil {
				return nil, err
			}
			s, err := chain.ParseAmount(strings.TrimSpace(small), d)
			if err != nil {
				return nil, fmt.Errorf("tier %q small limit: %w", part, err)
			}
			n, err := chain.ParseAmount(strings.TrimSpace(normal), d)
			if err != nil {
				return nil, fmt.Errorf("tier %q normal limit: %w", part, err)
			}
			if s > n {
				return nil, fmt.Errorf("tier %q: small limit above normal limit", part)
			}
			tiers = append(tiers, chain.Tier{Asset: asset, Small: s, Normal: n})
		}
	}
	slices.SortFunc(tiers, func(a, b chain.Tier) int { return strings.Compare(a.Asset, b.Asset) })
	for i := 1; i < len(tiers); i++ {
		if tiers[i].Asset == tiers[i-1].Asset {
			return nil, fmt.Errorf("two tiers for %s", tiers[i].Asset)
		}
	}
	return tiers, nil
}

// SortAddresses sorts and checks addresses distinct, as a policy's
// guardians and a sub-account's merchants must be.
func SortAddresses(what string, as []common.Address) ([]common.Address, error) {
	out := slices.Clone(as)
	slices.SortFunc(out, func(a, b common.Address) int { return a.Cmp(b) })
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("%s %s given twice", what, out[i].Hex())
		}
	}
	return out, nil
}

// Transaction files carry a transaction between the machines of its
// signers (docs/adr/0054-transaction-files.md): the canonical encoding in
// hex, 0x-prefixed, on one line, the same form sov_sendRawTransaction
// takes. Every signature covers the signing hash, which leaves the
// signatures out, so each co-signer appends one (CosignTx) without
// disturbing the others; the sender's comes first.

// WriteTxFile writes tx to path.
func WriteTxFile(path string, tx *chain.Tx) error {
	return os.WriteFile(path, []byte(hexutil.Encode(tx.Bytes())+"\n"), 0o600)
}

// ReadTxFile reads a transaction file, naming what is wrong with it.
func ReadTxFile(path string) (*chain.Tx, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("transaction file: %w", err)
	}
	s := strings.TrimSpace(string(raw))
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		s = "0x" + s
	}
	b, err := hexutil.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("transaction file %s: not one line of hex: %w", path, err)
	}
	tx, err := chain.DecodeTx(b)
	if err != nil {
		return nil, fmt.Errorf("transaction file %s: %w", path, err)
	}
	return tx, nil
}

// ErrAlreadySigned is CosignTx's refusal of a key that signed already.
var ErrAlreadySigned = errors.New("this key has signed the transaction already")

// CosignTx appends key's signature to tx, after those it carries. A
// transaction with no signature yet is not co-signed: its first signature
// makes its sender, so it must be made by the sender (a transaction
// command with --out).
func CosignTx(tx *chain.Tx, key *ecdsa.PrivateKey) error {
	if len(tx.Sigs()) == 0 {
		return errors.New("the transaction carries no signature: its sender signs first")
	}
	if len(tx.Sigs()) >= chain.MaxSigs(tx.Type()) {
		return fmt.Errorf("a %s takes at most %d signatures and has them", tx.Type(), chain.MaxSigs(tx.Type()))
	}
	signers, err := tx.Signers()
	if err != nil {
		return err
	}
	if slices.Contains(signers, cryptoAddress(key)) {
		return ErrAlreadySigned
	}
	return tx.Sign(key)
}
