package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Payout returns a copy of a payout.
func (s *State) Payout(id common.Hash) (*chain.Payout, bool) {
	p, ok := load[chain.Payout](s, chain.PayoutKey(id))
	if !ok {
		return nil, false
	}
	c := *p
	c.Track = p.Track.Copy()
	return &c, true
}

// SetPayout stores p.
func (s *State) SetPayout(p *chain.Payout) { s.put(chain.PayoutKey(p.ID), p) }

// checkWithdrawalKey enforces the account's withdrawal key on a
// transaction's co-signer.
func checkWithdrawalKey(acct *chain.Account, cosigner *common.Address) error {
	switch {
	case acct.WithdrawalKey == (common.Address{}) && cosigner != nil:
		return chain.Reject(chain.ErrNotAuthorized, "co-signer %s: the account has no withdrawal key", *cosigner)
	case acct.WithdrawalKey == (common.Address{}):
		return nil
	case cosigner == nil:
		return chain.Reject(chain.ErrWithdrawalKeyRequired, "the account's withdrawal key %s must co-sign", acct.WithdrawalKey)
	case *cosigner != acct.WithdrawalKey:
		return chain.Reject(chain.ErrNotAuthorized, "co-signer %s is not the withdrawal key", *cosigner)
	}
	return nil
}

// requireWithdrawalKey is the withdrawal key's rule on a withdraw: when
// the account has one, it must be among the co-signers. That no co-signer
// is a stranger checkPolicy has checked, as for every debit.
func requireWithdrawalKey(acct *chain.Account, cosigners []common.Address) error {
	if acct.WithdrawalKey == (common.Address{}) {
		return nil
	}
	for _, co := range cosigners {
		if co == acct.WithdrawalKey {
			return nil
		}
	}
	return chain.Reject(chain.ErrWithdrawalKeyRequired, "the account's withdrawal key %s must co-sign", acct.WithdrawalKey)
}

func applySetWithdrawalKey(st *State, c txContext, s chain.SetWithdrawalKey) error {
	acct, _ := st.Account(c.sender)
	if acct.WithdrawalKey != (common.Address{}) {
		if err := checkWithdrawalKey(acct, c.cosigner); err != nil {
			return err
		}
	} else if c.cosigner != nil && *c.cosigner != s.Key {
		return chain.Reject(chain.ErrNotAuthorized, "co-signer %s is not the new withdrawal key", *c.cosigner)
	}
	acct.WithdrawalKey = s.Key
	st.SetAccount(c.sender, acct)
	st.emit(chain.Event{Kind: chain.EventWithdrawalKeySet, Record: c.hash, Accounts: []common.Address{c.sender, s.Key}, Bank: acct.Bank})
	return nil
}

func applyWithdraw(st *State, c txContext, w chain.Withdraw) error {
	asset, _ := st.Asset(w.Asset)
	acct, _ := st.Account(c.sender)
	if err := requireWithdrawalKey(acct, c.cosigners); err != nil {
		return err
	}
	bal, err := debitAvailable(acct, w.Asset, w.Amount)
	if err != nil {
		return err
	}
	if asset.Burned, err = addAmount(asset.Burned, w.Amount); err != nil {
		return err
	}
	acct.SetBalance(bal)
	p := &chain.Payout{ID: c.hash, Account: c.sender, Asset: w.Asset, Amount: w.Amount, Details: w.Details,
		Height: st.block.Height, Time: st.block.Time, Track: chain.BankTrack{Bank: acct.Bank}}
	p.Track.Expect(chain.FeedbackPayoutExecuted, w.Amount, st.block.Time+ms(st.block.Params.FeedbackDeadline))
	st.SetAccount(c.sender, acct)
	st.SetAsset(asset)
	st.SetPayout(p)
	st.emit(chain.Event{Kind: chain.EventWithdrawal, Record: p.ID, Accounts: []common.Address{c.sender}, Bank: acct.Bank, Asset: w.Asset, Amount: w.Amount})
	return nil
}

// recordBankKey notes a member bank's public key from its first signed
// transaction when genesis did not give it, so wallets can encrypt payout
// details to it.
func recordBankKey(st *State, sender common.Address, tx *chain.Tx) {
	b, ok := st.Bank(sender)
	if !ok || len(b.PubKey) != 0 {
		return
	}
	pub, err := crypto.SigToPub(tx.SigningHash().Bytes(), tx.Sigs()[0])
	if err != nil {
		return // the signature recovered before; cannot happen
	}
	c := *b
	c.PubKey = crypto.FromECDSAPub(pub)
	st.SetBank(&c)
}
