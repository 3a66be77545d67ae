package consensus

import (
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// KeySigner is a Signer over an in-memory secp256k1 key.
type KeySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

// NewKeySigner wraps key.
func NewKeySigner(key *ecdsa.PrivateKey) *KeySigner {
	return &KeySigner{key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// Sign signs hash (65 bytes, [R || S || V]).
func (s *KeySigner) Sign(hash common.Hash) ([]byte, error) { return crypto.Sign(hash[:], s.key) }

// Address is the key's address.
func (s *KeySigner) Address() common.Address { return s.addr }
