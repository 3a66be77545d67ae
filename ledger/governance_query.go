package ledger

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Proposals lists the governance proposals in committed state, newest
// (highest opening height) first, at most limit.
func (l *Ledger) Proposals(limit int) ([]chain.Proposal, error) {
	prefix := prefixed(kState, []byte{chain.PrefixGovernance, 'p'})
	end := prefixed(kState, []byte{chain.PrefixGovernance, 'p' + 1})
	var out []chain.Proposal
	var derr error
	err := l.store.scan(prefix, end, false, func(k, v []byte) bool {
		if !bytes.HasPrefix(k, prefix) {
			return false
		}
		var p chain.Proposal
		if err := rlp.DecodeBytes(v, &p); err != nil {
			derr = fmt.Errorf("decode proposal %x: %w", k[1:], err)
			return false
		}
		out = append(out, p)
		return true
	})
	if err == nil {
		err = derr
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Height > out[j].Height })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Proposal reads one committed governance proposal.
func (l *Ledger) Proposal(id common.Hash) (*chain.Proposal, bool, error) {
	var p chain.Proposal
	ok, err := getRLP(l.store.StateKV(), chain.ProposalKey(id), &p)
	if !ok || err != nil {
		return nil, false, err
	}
	return &p, true, nil
}

// ProposalEvidenceRecords lists the accepted proposal-equivocation evidence
// in committed state, by offender then height and round, only against
// offender when given, at most limit records.
func (l *Ledger) ProposalEvidenceRecords(offender *common.Address, limit int) ([]chain.ProposalEvidenceRecord, error) {
	return scanRecords[chain.ProposalEvidenceRecord](l, []byte{chain.PrefixGovernance, 'x'}, []byte{chain.PrefixGovernance, 'x' + 1}, offender, limit, "proposal evidence")
}
