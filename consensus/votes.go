package consensus

import (
	"bytes"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// maxHashesPerValidator bounds how many different blocks one validator's
// votes are counted for in one vote set. An honest validator votes once;
// an equivocating one is counted for each block it signed (a quorum is
// "more than 2/3 of the power signed this", which stays sound), up to this
// many, so that it cannot grow memory without bound.
const maxHashesPerValidator = 4

// voteSet holds one vote type at one (height, round): each validator's
// first vote, every block hash's voters and their power (zero hash = nil).
type voteSet struct {
	votes   map[common.Address]*Vote                 // first vote of each validator
	byBlock map[common.Hash]map[common.Address]*Vote // voters per block hash
	power   map[common.Hash]uint64
	total   uint64                 // power that voted at all, each validator once
	hashes  map[common.Address]int // distinct hashes counted per validator
}

func newVoteSet() *voteSet {
	return &voteSet{
		votes: make(map[common.Address]*Vote), byBlock: make(map[common.Hash]map[common.Address]*Vote),
		power: make(map[common.Hash]uint64), hashes: make(map[common.Address]int),
	}
}

// has reports whether exactly this vote is already held, so a duplicate is
// dropped before its signature is recovered again.
func (s *voteSet) has(v *Vote) bool {
	old, ok := s.byBlock[v.BlockHash][v.Validator]
	return ok && bytes.Equal(old.Sig, v.Sig)
}

// add records v (already verified) with the signer's power. The first time
// a validator is seen voting for a second block it returns the earlier vote
// as the other half of the evidence.
func (s *voteSet) add(v *Vote, power uint64) (conflict *Vote) {
	voters := s.byBlock[v.BlockHash]
	if _, ok := voters[v.Validator]; ok {
		return nil
	}
	first, seen := s.votes[v.Validator]
	if seen && s.hashes[v.Validator] >= maxHashesPerValidator {
		return nil
	}
	if voters == nil {
		voters = make(map[common.Address]*Vote)
		s.byBlock[v.BlockHash] = voters
	}
	voters[v.Validator] = v
	s.power[v.BlockHash] += power
	s.hashes[v.Validator]++
	if !seen {
		s.votes[v.Validator] = v
		s.total += power
		return nil
	}
	if s.hashes[v.Validator] == 2 {
		return first
	}
	return nil
}

// quorumFor returns a non-nil block hash backed by more than 2/3 of the
// power, if any (at most one can be, unless a third of the power is faulty:
// then the lowest hash wins, deterministically).
func (s *voteSet) quorumFor(vs *chain.ValidatorSet) (common.Hash, bool) {
	var best common.Hash
	found := false
	for h, p := range s.power {
		if h == (common.Hash{}) || !vs.HasQuorum(p) {
			continue
		}
		if !found || bytes.Compare(h[:], best[:]) < 0 {
			best, found = h, true
		}
	}
	return best, found
}

func (s *voteSet) hasQuorumFor(vs *chain.ValidatorSet, h common.Hash) bool {
	return vs.HasQuorum(s.power[h])
}

func (s *voteSet) hasQuorumAny(vs *chain.ValidatorSet) bool { return vs.HasQuorum(s.total) }

// forBlock lists the votes for h sorted by validator address.
func (s *voteSet) forBlock(h common.Hash) []*Vote {
	var out []*Vote
	for _, v := range s.byBlock[h] {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].Validator[:], out[j].Validator[:]) < 0 })
	return out
}

// roundState is everything the machine knows about one round of the current
// height.
type roundState struct {
	proposal   *Proposal // the first proposal signed by the round's holder
	prevotes   *voteSet
	precommits *voteSet
	// "for the first time" guards of Algorithm 1.
	prevoteTimer   bool // line 34
	precommitTimer bool // line 47
	lockDone       bool // line 36
	extraBlocks    int  // blocks of conflicting proposals kept
}

func newRoundState() *roundState {
	return &roundState{prevotes: newVoteSet(), precommits: newVoteSet()}
}

func (rs *roundState) set(t chain.VoteType) *voteSet {
	if t == chain.VotePrecommit {
		return rs.precommits
	}
	return rs.prevotes
}

// certificate builds the commit certificate for h from the precommits.
func (rs *roundState) certificate(height uint64, round uint32, h common.Hash) *chain.Certificate {
	votes := rs.precommits.forBlock(h)
	c := &chain.Certificate{Height: height, Round: round, BlockHash: h, Sigs: make([]chain.CommitSig, len(votes))}
	for i, v := range votes {
		c.Sigs[i] = chain.CommitSig{Validator: v.Validator, Sig: v.Sig}
	}
	return c
}
