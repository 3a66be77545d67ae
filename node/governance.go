package node

import (
	"bytes"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// latestHeight asks ValidatorsAt for the latest set known: every change
// approved so far applied.
const latestHeight = ^uint64(0)

// knownValidator finds a in the set in force at the next height or, for a
// validator approved to join (added, or a rotated key), in the latest set:
// its node runs as a validator and starts signing at the effective height.
func knownValidator(l *ledger.Ledger, a common.Address) (chain.Validator, bool) {
	if v, ok := l.Validators().Get(a); ok {
		return v, true
	}
	return l.ValidatorsAt(latestHeight).Get(a)
}

// admittedValidators are the validators whose nodes this node's gater
// admits: those of the next height, plus those approved to join (so an
// added validator connects and catches up before its first height). A
// validator removed at E stays admitted until E is the next height.
func admittedValidators(l *ledger.Ledger) []common.Address {
	var out []common.Address
	for _, vs := range []*chain.ValidatorSet{l.Validators(), l.ValidatorsAt(latestHeight)} {
		for _, v := range vs.Validators {
			out = append(out, v.Address)
		}
	}
	slices.SortFunc(out, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	return slices.Compact(out)
}

// refreshGater replaces the gater's validators after a commit when they
// changed: peers of a validator that left are disconnected.
func (d *driver) refreshGater() {
	if d.n.net == nil {
		return
	}
	vals := admittedValidators(d.n.ledger)
	if slices.Equal(vals, d.admitted) {
		return
	}
	d.admitted = vals
	if closed := d.n.net.SetValidators(vals); len(closed) > 0 {
		d.n.log.Info("validator set changed: peers disconnected", "validators", len(vals), "disconnected", len(closed))
	}
}

// autoVote votes, from this validator's account, for the removal
// proposals that evidence opened in a final block (chain.EventProposalOpened
// with no proposer): the evidence was checked by the chain, so every
// validator can approve the removal without an operator. Config
// NoAutoVoteEvidence turns it off. A validator does not vote on its own
// removal, nor when it is not in the set in force.
func (d *driver) autoVote(receipts []*chain.Receipt) {
	if d.n.cfg.NoAutoVoteEvidence || d.evidence.own == nil {
		return
	}
	self := d.evidence.own.self
	if _, ok := d.n.ledger.Validators().Get(self); !ok {
		return
	}
	for _, r := range receipts {
		for _, ev := range r.Events {
			if ev.Kind != chain.EventProposalOpened || len(ev.Accounts) != 1 || ev.Accounts[0] == self {
				continue
			}
			hash, err := d.evidence.own.send(chain.GovVote{Proposal: ev.Record})
			if err != nil {
				d.n.log.Warn("auto-vote on an evidence removal proposal refused", "proposal", ev.Record, "offender", ev.Accounts[0], "err", err)
				continue
			}
			d.n.log.Warn("evidence: voted to remove the offender", "proposal", ev.Record, "offender", ev.Accounts[0], "tx", hash)
		}
	}
}

// SetChanges is rpc.GovernanceReader's: every change of the validator set
// up to the final height with the block before it, its certificate and
// the set-change proof this node kept when it committed that block. A
// change whose proof this node lacks (it synced from a snapshot past it)
// ends the list: the verifier then asks another node.
func (b *Backend) SetChanges() ([]rpc.SetChangeStep, error) {
	hist, err := ledger.SetHistory(b.Ledger.DB().StateKV())
	if err != nil {
		return nil, err
	}
	head := b.Ledger.Head().Height
	var out []rpc.SetChangeStep
	for _, e := range hist {
		if e > head {
			break
		}
		nodes, ok, err := b.Ledger.DB().SetChangeProof(e)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		prev, err := b.Ledger.DB().BlockByHeight(e - 1)
		if err != nil {
			return nil, err
		}
		cert, err := b.Ledger.DB().Certificate(e - 1)
		if err != nil {
			return nil, err
		}
		out = append(out, rpc.SetChangeStep{Height: e, Prev: prev.Header, Cert: cert, Nodes: nodes})
	}
	return out, nil
}
