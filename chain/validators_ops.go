package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// MissedHolders are the key holders of rounds 0 … round-1 of the height
// whose seed is seed, in order: when a block is final at round, each of
// them held the key in a round that produced no accepted block.
func (vs *ValidatorSet) MissedHolders(seed common.Hash, round uint32) []common.Address {
	out := []common.Address{}
	if round == 0 || vs.Size() == 0 {
		return out
	}
	order := vs.HolderOrder(seed)
	for r := uint32(0); r < round; r++ {
		out = append(out, order[int(r)%len(order)])
	}
	return out
}

// String is the vote type's stable name: "prevote" or "precommit".
func (t VoteType) String() string {
	switch t {
	case VotePrevote:
		return "prevote"
	case VotePrecommit:
		return "precommit"
	}
	return fmt.Sprintf("vote_type_%d", uint8(t))
}
