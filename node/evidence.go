package node

import (
	"log/slog"

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
	key := string(ev.Key())
	if e.own == nil || key == "" {
		e.log.Warn("equivocation seen (observers do not submit evidence)", "offender", ev.Offender())
		return nil
	}
	if e.submitted[key] {
		return nil
	}
	hash, err := e.own.send(ev.Body())
	if err != nil {
		e.log.Warn("evidence transaction refused", "offender", ev.Offender(), "err", err)
		return nil
	}
	e.submitted[key] = true
	e.log.Warn("equivocation: evidence submitted", "offender", ev.Offender(), "kind", ev.Body().TxType(), "tx", hash)
	return nil
}
