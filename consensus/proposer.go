package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// MaxBufferedPerValidator bounds the next-height messages kept from one
// validator (its proposals and votes of the first rounds there).
const MaxBufferedPerValidator = 8

// IsRightfulProposer reports whether addr holds the sovereign key at round
// of the height whose seed is seed: the only validator whose proposal for
// that (height, round) counts, and so the only one a node should relay.
func IsRightfulProposer(vs *chain.ValidatorSet, seed common.Hash, round uint32, addr common.Address) bool {
	return vs.Size() > 0 && vs.Holder(seed, round) == addr
}

// VerifyProposal checks that p is signed by the key holder of its round at
// the height whose seed is seed, as Machine.Step does before it keeps a
// proposal; a node relays only proposals that pass. recover may be nil for
// chain.RecoverSigner. Errors wrap ErrBadSignature or ErrNotHolder.
func VerifyProposal(chainID string, vs *chain.ValidatorSet, seed common.Hash, p *Proposal, recover func(common.Hash, []byte) (common.Address, error)) error {
	if p == nil || p.Block == nil || p.Block.Header == nil {
		return fmt.Errorf("%w: proposal without block", ErrMalformed)
	}
	if recover == nil {
		recover = chain.RecoverSigner
	}
	return verifyProposer(recover, chainID, vs.Holder(seed, p.Round), p)
}

func verifyProposer(recover func(common.Hash, []byte) (common.Address, error), chainID string, holder common.Address, p *Proposal) error {
	signer, err := recover(p.SignHash(chainID), p.Sig)
	if err != nil {
		return fmt.Errorf("%w: proposal h=%d r=%d: %v", ErrBadSignature, p.Height, p.Round, err)
	}
	if signer != holder {
		return fmt.Errorf("%w: proposal h=%d r=%d signed by %s, key holder is %s", ErrNotHolder, p.Height, p.Round, signer, holder)
	}
	return nil
}
