package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// VoteType is the phase a vote belongs to.
type VoteType uint8

const (
	VotePrevote   VoteType = 1
	VotePrecommit VoteType = 2
)

// CommitSig is one validator's precommit signature in a certificate.
type CommitSig struct {
	Validator common.Address
	Sig       []byte
}

// Certificate proves a block final: precommits for it from more than 2/3 of
// the voting power at one round.
type Certificate struct {
	Height    uint64
	Round     uint32
	BlockHash common.Hash
	Sigs      []CommitSig
}

// Verify checks every signature against vs and that the signers hold more
// than 2/3 of the voting power, each counted once.
func (c *Certificate) Verify(chainID string, vs *ValidatorSet) error {
	return c.VerifyWith(chainID, vs, recoverSigner)
}

// Recoverer returns the address that signed hash; a caller may pass a
// caching one so a signature checked on arrival is not recovered again.
type Recoverer func(hash common.Hash, sig []byte) (common.Address, error)

// VerifyWith is Verify with signatures recovered by recover.
func (c *Certificate) VerifyWith(chainID string, vs *ValidatorSet, recover Recoverer) error {
	if c == nil {
		return fmt.Errorf("certificate is missing")
	}
	hash := c.SignHash(chainID)
	seen := make(map[common.Address]bool, len(c.Sigs))
	var power uint64
	for i, cs := range c.Sigs {
		v, ok := vs.Get(cs.Validator)
		if !ok {
			return fmt.Errorf("certificate sig %d: %s is not a validator", i, cs.Validator)
		}
		if seen[cs.Validator] {
			return fmt.Errorf("certificate sig %d: %s signs twice", i, cs.Validator)
		}
		signer, err := recover(hash, cs.Sig)
		if err != nil {
			return fmt.Errorf("certificate sig %d: %w", i, err)
		}
		if signer != cs.Validator {
			return fmt.Errorf("certificate sig %d: signed by %s, claims %s", i, signer, cs.Validator)
		}
		seen[cs.Validator] = true
		power += v.Power
	}
	if !vs.HasQuorum(power) {
		return fmt.Errorf("certificate for height %d has power %d of %d, needs more than 2/3", c.Height, power, vs.TotalPower())
	}
	return nil
}

// RecoverSigner returns the address that signed hash.
func RecoverSigner(hash common.Hash, sig []byte) (common.Address, error) {
	Recoveries.Consensus.Add(1)
	return recoverSigner(hash, sig)
}

// keccak is a short alias used by the hash-chain helpers.
func keccak(parts ...[]byte) common.Hash { return crypto.Keccak256Hash(parts...) }
