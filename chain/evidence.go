package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// SignedVote is a validator's signed prevote or precommit as it travels
// between nodes: the raw material of equivocation evidence.
type SignedVote struct {
	Type      VoteType
	Height    uint64
	Round     uint32
	BlockHash common.Hash // zero = a vote for nil
	Validator common.Address
	Sig       []byte
}

// Evidence proves that one validator signed two different votes of one type
// at one height and round. Any registered account may submit it; it stays
// on the chain (the transaction, and a record in state) for auditors and
// governance.
type Evidence struct {
	A, B SignedVote
}

func (Evidence) TxType() TxType { return TxEvidence }

// Verify checks that e is genuine: same validator, type, height and round,
// different blocks, both signatures by that validator. isValidator says
// whether an address is in the validator set.
func (e *Evidence) Verify(chainID string, isValidator func(common.Address) bool, recover Recoverer) error {
	a, b := &e.A, &e.B
	if a.Validator != b.Validator || a.Type != b.Type || a.Height != b.Height || a.Round != b.Round {
		return Reject(ErrBadEvidence, "votes are not by one validator for one type, height and round")
	}
	if a.Type != VotePrevote && a.Type != VotePrecommit {
		return Reject(ErrBadEvidence, "vote type %d", a.Type)
	}
	if a.BlockHash == b.BlockHash {
		return Reject(ErrBadEvidence, "the votes do not conflict")
	}
	if !isValidator(a.Validator) {
		return Reject(ErrBadEvidence, "%s is not a validator", a.Validator)
	}
	for i, v := range []*SignedVote{a, b} {
		signer, err := recover(v.SignHash(chainID), v.Sig)
		if err != nil {
			return Reject(ErrBadEvidence, "vote %d: %v", i, err)
		}
		if signer != v.Validator {
			return Reject(ErrBadEvidence, "vote %d is signed by %s, not %s", i, signer, v.Validator)
		}
	}
	return nil
}

// EvidenceRecord is what state keeps of accepted evidence.
type EvidenceRecord struct {
	Evidence  Evidence
	Submitter common.Address
	TxHash    common.Hash
}

// EvidenceKey is the state key of the evidence against validator at
// (height, round, type): one record per offence.
func EvidenceKey(validator common.Address, height uint64, round uint32, t VoteType) []byte {
	k := append([]byte{PrefixEvidence}, validator[:]...)
	return append(k, fmt.Sprintf("/%d/%d/%d", height, round, t)...)
}
