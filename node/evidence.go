package node

import (
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
)

// evidenceSubmitter turns equivocation the core caught into evidence
// transactions signed by this validator's own account, once per offence.
type evidenceSubmitter struct {
	n         *Node
	own       *ownTxs
	submitted map[string]bool
}

func (e *evidenceSubmitter) submit(ev consensus.Evidence) error {
	if e.n.self == nil || ev.A == nil {
		e.n.log.Warn("equivocation seen (observers do not submit evidence)", "offender", ev.Offender())
		return nil
	}
	key := string(chain.EvidenceKey(ev.A.Validator, ev.A.Height, ev.A.Round, ev.A.Type))
	if e.submitted[key] {
		return nil
	}
	hash, err := e.own.send(ev.Chain())
	if err != nil {
		e.n.log.Warn("evidence transaction refused", "offender", ev.Offender(), "err", err)
		return nil
	}
	e.submitted[key] = true
	e.n.log.Warn("equivocation: evidence submitted", "offender", ev.Offender(), "height", ev.A.Height, "round", ev.A.Round, "tx", hash)
	return nil
}
