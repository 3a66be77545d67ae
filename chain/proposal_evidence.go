package chain

import (
	"strconv"

	"github.com/ethereum/go-ethereum/common"
)

// SignedProposal is a key holder's signed proposal, reduced to what it
// signed (ProposalSignHash): the raw material of proposal evidence.
type SignedProposal struct {
	Height    uint64
	Round     uint32
	POL       uint64 // proof-of-lock round + 1, 0 for none: as ProposalSignHash encodes it
	BlockHash common.Hash
	Proposer  common.Address
	Sig       []byte
}

// SignHash is what the proposer signed.
func (p *SignedProposal) SignHash(chainID string) common.Hash {
	return ProposalSignHash(chainID, p.Height, p.Round, int32(int64(p.POL)-1), p.BlockHash)
}

// ProposalEvidence proves that one key holder signed two proposals of
// different blocks for one height and round. It is handled as vote
// evidence is: a record in state, and a removal proposal for the offender.
type ProposalEvidence struct {
	A, B SignedProposal
}

func (ProposalEvidence) TxType() TxType { return TxProposalEvidence }

// Verify checks that e is genuine: one proposer, height and round,
// different blocks, both signatures by that proposer, who is a validator.
func (e *ProposalEvidence) Verify(chainID string, isValidator func(common.Address) bool, recover Recoverer) error {
	a, b := &e.A, &e.B
	if a.Proposer != b.Proposer || a.Height != b.Height || a.Round != b.Round {
		return Reject(ErrBadEvidence, "proposals are not by one holder for one height and round")
	}
	if a.BlockHash == b.BlockHash {
		return Reject(ErrBadEvidence, "the proposals do not conflict")
	}
	if !isValidator(a.Proposer) {
		return Reject(ErrBadEvidence, "%s is not a validator", a.Proposer)
	}
	for i, p := range []*SignedProposal{a, b} {
		signer, err := recover(p.SignHash(chainID), p.Sig)
		if err != nil {
			return Reject(ErrBadEvidence, "proposal %d: %v", i, err)
		}
		if signer != p.Proposer {
			return Reject(ErrBadEvidence, "proposal %d is signed by %s, not %s", i, signer, p.Proposer)
		}
	}
	return nil
}

// ProposalEvidenceKey is the state key of proposal evidence against
// proposer at (height, round), under the governance prefix so that the
// vote evidence listing (prefix 'x') keeps one record type.
func ProposalEvidenceKey(proposer common.Address, height uint64, round uint32) []byte {
	k := append([]byte{PrefixGovernance, 'x'}, proposer[:]...)
	return append(k, []byte("/"+uitoa(height)+"/"+uitoa(uint64(round))+"/proposal")...)
}

// ProposalEvidenceRecord is what state keeps of accepted proposal evidence.
type ProposalEvidenceRecord struct {
	Evidence  ProposalEvidence
	Submitter common.Address
	TxHash    common.Hash
}

func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }
