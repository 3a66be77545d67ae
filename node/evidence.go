package node

import (
	"log/slog"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
)

// evidenceSubmitter turns equivocation the core caught into evidence
// transactions signed by this validator's own account, once per offence.
type evidenceSubmitter struct {
	own       *ownTxs // nil for observers
	log       *slog.Logger
	submitted map[string]bool
}

func (e *evidenceSubmitter) submit(ev consensus.Evidence) error {
	if e.own == nil || ev.A == nil {
		e.log.Warn("equivocation seen (observers do not submit evidence)", "offender", ev.Offender())
		return nil
	}
	key := string(chain.EvidenceKey(ev.A.Validator, ev.A.Height, ev.A.Round, ev.A.Type))
	if e.submitted[key] {
		return nil
	}
	hash, err := e.own.send(ev.Chain())
	if err != nil {
		e.log.Warn("evidence transaction refused", "offender", ev.Offender(), "err", err)
		return nil
	}
	e.submitted[key] = true
	e.log.Warn("equivocation: evidence submitted", "offender", ev.Offender(), "height", ev.A.Height, "round", ev.A.Round, "tx", hash)
	return nil
}
