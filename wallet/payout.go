package wallet

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/ecies"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// encryptPayout encrypts a payout's bank account details to bank's key.
func encryptPayout(bank *ecdsa.PublicKey, details []byte) ([]byte, error) {
	ct, err := ecies.Encrypt(rand.Reader, ecies.ImportECDSAPublic(bank), details, payoutInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("encrypt payout details: %w", err)
	}
	return ct, nil
}

// DecryptPayout opens a payout's bank account details with the bank's key.
func DecryptPayout(bank *ecdsa.PrivateKey, p *rpc.Payout) ([]byte, error) {
	pt, err := ecies.ImportECDSA(bank).Decrypt(p.Details, payoutInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt payout details: %w", err)
	}
	return pt, nil
}

// bankPubKey parses a bank's recorded public key.
func bankPubKey(b *rpc.Bank) (*ecdsa.PublicKey, error) {
	if len(b.PubKey) == 0 {
		return nil, fmt.Errorf("bank %s has no public key on record yet (it is recorded from genesis or the bank's first transaction)", b.Address)
	}
	pub, err := crypto.UnmarshalPubkey(b.PubKey)
	if err != nil {
		return nil, fmt.Errorf("bank %s public key: %w", b.Address, err)
	}
	return pub, nil
}

// Payout details are encrypted with ECIES (go-ethereum/crypto/ecies,
// AES-128-CTR with HMAC-SHA-256 over secp256k1) to the servicing bank's
// public key; payoutInfo binds the ciphertext to its purpose.
var payoutInfo = []byte("sovereign-payout-details-v1")
