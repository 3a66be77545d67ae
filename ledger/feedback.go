package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// record is what feedback can match: an escrow or a payout.
type record struct {
	id      common.Hash
	asset   string
	track   *chain.BankTrack
	parties []common.Address
	save    func()
}

func loadRecord(st *State, kind chain.FeedbackKind, id common.Hash) (*record, bool) {
	if kind == chain.FeedbackPayoutExecuted {
		p, ok := st.Payout(id)
		if !ok {
			return nil, false
		}
		return &record{id: id, asset: p.Asset, track: &p.Track, parties: []common.Address{p.Account}, save: func() { st.SetPayout(p) }}, true
	}
	e, ok := st.Escrow(id)
	if !ok {
		return nil, false
	}
	return &record{id: id, asset: e.Asset, track: &e.Track, parties: e.Parties(), save: func() { st.SetEscrow(e) }}, true
}

// applyFeedback matches a bank's report against the record it names. A
// match advances the record. A mismatch is not dropped: the record is
// flagged and keeps the report as an exception, the receipt carries it, and
// the code is feedback_mismatch. Balances never change either way.
func applyFeedback(st *State, c txContext, fb chain.Feedback) error {
	bank := c.sender
	ex := chain.Exception{Tx: c.hash, Height: st.block.Height, Time: st.block.Time, Bank: bank, Record: fb.Record,
		Kind: fb.Kind, Asset: fb.Asset, Amount: fb.Amount, Ref: fb.Ref}
	ev := chain.Event{Record: fb.Record, Bank: bank, Asset: fb.Asset, Amount: fb.Amount, Step: fb.Kind.String(), Ref: fb.Ref}
	rec, ok := loadRecord(st, fb.Kind, fb.Record)
	if !ok {
		ev.Kind, ev.Reason = chain.EventFeedbackException, chain.ReasonRecordNotFound
		st.emit(ev)
		return chain.Reject(chain.ErrFeedbackMismatch, "%s: no record %s", chain.ReasonRecordNotFound, fb.Record)
	}
	if rec.track.Bank != bank {
		return chain.Reject(chain.ErrNotAuthorized, "record %s is serviced by %s, not %s", fb.Record, rec.track.Bank, bank)
	}
	ev.Accounts = rec.parties
	reason := ""
	next, waiting := rec.track.Next()
	switch {
	case fb.Kind == chain.FeedbackReversal:
		reason = chain.ReasonReversal
	case !waiting || next.Kind != fb.Kind:
		reason = chain.ReasonUnexpectedStep
	case fb.Asset != rec.asset:
		reason = chain.ReasonAssetMismatch
	case fb.Amount != next.Amount:
		reason = chain.ReasonAmountMismatch
	}
	if reason != "" {
		ex.Reason = reason
		t := rec.track
		t.Flagged = true
		t.ExceptionCount++
		if len(t.Exceptions) < chain.MaxExceptionsKept {
			t.Exceptions = append(t.Exceptions, ex)
		}
		rec.save()
		ev.Kind, ev.Reason = chain.EventFeedbackException, reason
		st.emit(ev)
		return chain.Reject(chain.ErrFeedbackMismatch, "%s: %s", reason, describeExpected(next, waiting, rec.asset))
	}
	s := &rec.track.Steps[rec.track.Matched]
	s.Ref, s.MatchedAt, s.MatchedTx = fb.Ref, st.block.Time, c.hash
	rec.track.Matched++
	rec.save()
	ev.Kind = chain.EventFeedbackMatched
	st.emit(ev)
	return nil
}

func describeExpected(next chain.Step, waiting bool, asset string) string {
	if !waiting {
		return "no feedback is expected for the record now"
	}
	return fmt.Sprintf("expected %s of %d %s", next.Kind, next.Amount, asset)
}
