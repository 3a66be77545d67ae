package node

import (
	"fmt"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/consensus"
)

// evidenceSubmitter turns equivocation the core caught into evidence
// transactions signed by this validator's own account, once per offence.
type evidenceSubmitter struct {
	n         *Node
	submitted map[string]bool
	nextNonce uint64
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
	acct, ok, err := e.n.ledger.Account(*e.n.self)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("validator %s has no account to submit evidence from", *e.n.self)
	}
	nonce := max(acct.Nonce, e.nextNonce)
	tx := chain.NewTx(e.n.cfg.Genesis.ChainID, nonce, ev.Chain())
	if err := tx.Sign(e.n.cfg.Key); err != nil {
		return err
	}
	if err := (backend{e.n}).SubmitTx(tx); err != nil {
		e.n.log.Warn("evidence transaction refused", "offender", ev.Offender(), "err", err)
		return nil
	}
	e.submitted[key] = true
	e.nextNonce = nonce + 1
	e.n.log.Warn("equivocation: evidence submitted", "offender", ev.Offender(), "height", ev.A.Height, "round", ev.A.Round, "tx", tx.Hash())
	return nil
}
