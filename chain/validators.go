package chain

import (
	"bytes"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// Validator is one member of the validator set.
type Validator struct {
	Address   common.Address
	Power     uint64
	RevealTip common.Hash // tip of the validator's hash chain (its first reveal hashes to it)
}

// ValidatorSet is the ordered set of validators; order is by address so that
// every node derives the same set from the same genesis.
type ValidatorSet struct {
	Validators []Validator
	index      map[common.Address]int
	total      uint64
}

// NewValidatorSet sorts vals by address and indexes them.
func NewValidatorSet(vals []Validator) *ValidatorSet {
	sorted := append([]Validator(nil), vals...)
	sort.Slice(sorted, func(i, j int) bool { return bytes.Compare(sorted[i].Address[:], sorted[j].Address[:]) < 0 })
	vs := &ValidatorSet{Validators: sorted, index: make(map[common.Address]int, len(sorted))}
	for i, v := range sorted {
		vs.index[v.Address] = i
		vs.total += v.Power
	}
	return vs
}

// Get returns the validator with address a.
func (vs *ValidatorSet) Get(a common.Address) (Validator, bool) {
	i, ok := vs.index[a]
	if !ok {
		return Validator{}, false
	}
	return vs.Validators[i], true
}

// Size is the number of validators.
func (vs *ValidatorSet) Size() int { return len(vs.Validators) }

// TotalPower is the sum of voting power.
func (vs *ValidatorSet) TotalPower() uint64 { return vs.total }

// HasQuorum reports whether power is more than 2/3 of the total.
func (vs *ValidatorSet) HasQuorum(power uint64) bool { return 3*power > 2*vs.total }

// Hash commits to the set's addresses, powers and reveal tips.
func (vs *ValidatorSet) Hash() common.Hash { return rlpHash(vs.Validators) }

// Holder returns the validator that holds the sovereign key at round r for a
// height whose seed is seed: validators are ordered by Keccak(seed ‖ address)
// and round r picks position r mod n. It is a pure function of the seed and
// the set, so every node and the auditor agree on it.
func (vs *ValidatorSet) Holder(seed common.Hash, round uint32) common.Address {
	return vs.HolderOrder(seed)[int(round)%len(vs.Validators)]
}

// HolderOrder is the full permutation of holders for a height's seed.
func (vs *ValidatorSet) HolderOrder(seed common.Hash) []common.Address {
	type ranked struct {
		addr common.Address
		rank common.Hash
	}
	rs := make([]ranked, len(vs.Validators))
	for i, v := range vs.Validators {
		rs[i] = ranked{v.Address, keccak(seed[:], v.Address[:])}
	}
	sort.Slice(rs, func(i, j int) bool { return bytes.Compare(rs[i].rank[:], rs[j].rank[:]) < 0 })
	out := make([]common.Address, len(rs))
	for i, r := range rs {
		out[i] = r.addr
	}
	return out
}

// NextSeed is s_{h+1} = Keccak(s_h ‖ reveal).
func NextSeed(seed, reveal common.Hash) common.Hash { return keccak(seed[:], reveal[:]) }
