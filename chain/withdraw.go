package chain

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
)

// MaxPayoutDetails bounds a withdraw's encrypted bank account details.
const MaxPayoutDetails = 1024

// Payout is a withdrawal: funds burned from an account for its servicing
// bank to pay out to a bank account. Its id is the withdraw transaction's
// hash. Details are ECIES-encrypted to the bank's key; the chain never sees
// them in clear.
type Payout struct {
	ID      common.Hash
	Account common.Address
	Asset   string
	Amount  uint64
	Details []byte
	Height  uint64
	Time    uint64
	Track   BankTrack // the servicing bank's payout_executed
}

// PayoutKey is the state key of a payout.
func PayoutKey(id common.Hash) []byte { return append([]byte{prefixPayout}, id[:]...) }

// Payout returns a copy of a payout.
func (s *State) Payout(id common.Hash) (*Payout, bool) {
	p, ok := load[Payout](s, PayoutKey(id))
	if !ok {
		return nil, false
	}
	c := *p
	c.Track = p.Track.copy()
	return &c, true
}

// SetPayout stores p.
func (s *State) SetPayout(p *Payout) { s.put(PayoutKey(p.ID), p) }

// checkWithdrawalKey enforces the account's withdrawal key on a
// transaction's co-signer.
func checkWithdrawalKey(acct *Account, cosigner *common.Address) error {
	switch {
	case acct.WithdrawalKey == (common.Address{}) && cosigner != nil:
		return reject(ErrNotAuthorized, "co-signer %s: the account has no withdrawal key", *cosigner)
	case acct.WithdrawalKey == (common.Address{}):
		return nil
	case cosigner == nil:
		return reject(ErrWithdrawalKeyRequired, "the account's withdrawal key %s must co-sign", acct.WithdrawalKey)
	case *cosigner != acct.WithdrawalKey:
		return reject(ErrNotAuthorized, "co-signer %s is not the withdrawal key", *cosigner)
	}
	return nil
}

func applySetWithdrawalKey(st *State, c txContext, s SetWithdrawalKey) error {
	if s.Key == c.sender {
		return reject(ErrMalformed, "the withdrawal key must differ from the account key")
	}
	acct, _ := st.Account(c.sender)
	if acct.WithdrawalKey != (common.Address{}) {
		if err := checkWithdrawalKey(acct, c.cosigner); err != nil {
			return err
		}
	} else if c.cosigner != nil && *c.cosigner != s.Key {
		return reject(ErrNotAuthorized, "co-signer %s is not the new withdrawal key", *c.cosigner)
	}
	acct.WithdrawalKey = s.Key
	st.SetAccount(c.sender, acct)
	st.emit(Event{Kind: EventWithdrawalKeySet, Record: c.hash, Accounts: []common.Address{c.sender, s.Key}, Bank: acct.Bank})
	return nil
}

func applyWithdraw(st *State, c txContext, w Withdraw) error {
	if w.Amount == 0 {
		return ErrZeroAmount
	}
	asset, ok := st.Asset(w.Asset)
	if !ok {
		return reject(ErrUnknownAsset, "%q", w.Asset)
	}
	if len(w.Details) == 0 || len(w.Details) > MaxPayoutDetails {
		return reject(ErrMalformed, "payout details must be 1-%d bytes of ciphertext", MaxPayoutDetails)
	}
	acct, _ := st.Account(c.sender)
	if err := checkWithdrawalKey(acct, c.cosigner); err != nil {
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
	p := &Payout{ID: c.hash, Account: c.sender, Asset: w.Asset, Amount: w.Amount, Details: w.Details,
		Height: st.block.Height, Time: st.block.Time, Track: BankTrack{Bank: acct.Bank}}
	p.Track.expect(FeedbackPayoutExecuted, w.Amount, st.block.Time+ms(st.block.Params.FeedbackDeadline))
	st.SetAccount(c.sender, acct)
	st.SetAsset(asset)
	st.SetPayout(p)
	st.emit(Event{Kind: EventWithdrawal, Record: p.ID, Accounts: []common.Address{c.sender}, Bank: acct.Bank, Asset: w.Asset, Amount: w.Amount})
	return nil
}

// Payout details are encrypted with ECIES (go-ethereum/crypto/ecies,
// AES-128-CTR with HMAC-SHA-256 over secp256k1) to the servicing bank's
// public key; payoutInfo binds the ciphertext to its purpose.
var payoutInfo = []byte("sovereign-payout-details-v1")

// EncryptPayout encrypts a payout's bank account details to bank's key.
func EncryptPayout(bank *ecdsa.PublicKey, details []byte) ([]byte, error) {
	ct, err := ecies.Encrypt(rand.Reader, ecies.ImportECDSAPublic(bank), details, payoutInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("encrypt payout details: %w", err)
	}
	return ct, nil
}

// DecryptPayout decrypts payout details with the bank's private key.
func DecryptPayout(bank *ecdsa.PrivateKey, ct []byte) ([]byte, error) {
	pt, err := ecies.ImportECDSA(bank).Decrypt(ct, payoutInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt payout details: %w", err)
	}
	return pt, nil
}

// BankPubKey parses a bank's recorded public key.
func BankPubKey(b *BankInfo) (*ecdsa.PublicKey, error) {
	if len(b.PubKey) == 0 {
		return nil, fmt.Errorf("bank %s has no public key on record yet (it is recorded from genesis or the bank's first transaction)", b.Address)
	}
	pub, err := crypto.UnmarshalPubkey(b.PubKey)
	if err != nil {
		return nil, fmt.Errorf("bank %s public key: %w", b.Address, err)
	}
	return pub, nil
}

// recordBankKey notes a member bank's public key from its first signed
// transaction when genesis did not give it, so wallets can encrypt payout
// details to it.
func recordBankKey(st *State, sender common.Address, tx *Tx) {
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
