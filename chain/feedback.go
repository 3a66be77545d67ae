package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// FeedbackKind is what a bank reports it did in its own books.
type FeedbackKind uint8

const (
	FeedbackHoldPlaced     FeedbackKind = 1 // froze the payer's deposit for a hold
	FeedbackHoldReleased   FeedbackKind = 2 // unfroze what an escrow returned to the payer (partial release, expiry)
	FeedbackDebitExecuted  FeedbackKind = 3 // debited the payer's deposit for a release
	FeedbackRefundExecuted FeedbackKind = 4 // unfroze a refunded hold
	FeedbackPayoutExecuted FeedbackKind = 5 // paid a withdrawal out to the bank account
)

var feedbackKindNames = map[FeedbackKind]string{
	FeedbackHoldPlaced: "hold_placed", FeedbackHoldReleased: "hold_released", FeedbackDebitExecuted: "debit_executed",
	FeedbackRefundExecuted: "refund_executed", FeedbackPayoutExecuted: "payout_executed",
}

func (k FeedbackKind) String() string {
	if n, ok := feedbackKindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind_%d", uint8(k))
}

// ParseFeedbackKind is the inverse of String.
func ParseFeedbackKind(name string) (FeedbackKind, bool) {
	for k, n := range feedbackKindNames {
		if n == name {
			return k, true
		}
	}
	return 0, false
}

// Bank statuses of a record, as reconciliation reports them.
const (
	BankWaiting  = "waiting"  // a step is expected and its deadline has not passed
	BankOverdue  = "overdue"  // a step is expected and its deadline has passed
	BankMatched  = "matched"  // every step so far was matched
	BankMismatch = "mismatch" // a feedback for the record did not match (the record is flagged)
)

// Mismatch reasons, stored in exceptions. Stable names.
const (
	ReasonRecordNotFound = "record_not_found"
	ReasonUnexpectedStep = "unexpected_step"
	ReasonAssetMismatch  = "asset_mismatch"
	ReasonAmountMismatch = "amount_mismatch"
)

// Limits on feedback.
const (
	MaxBankRefLen     = 64
	MaxExceptionsKept = 32 // per record; later ones are counted and stay in their receipts
)

// BankTrack is what a record expects from its servicing bank and what the
// bank reported. Steps are added as the chain acts (a hold expects
// hold_placed, a release debit_executed, ...); feedback matches them in
// order.
type BankTrack struct {
	Bank           common.Address // the bank that must report: the payer's or withdrawing account's servicing bank
	Steps          []Step
	Matched        uint32 // Steps[:Matched] are matched
	Flagged        bool   // some feedback did not match: see Exceptions
	Exceptions     []Exception
	ExceptionCount uint32 // all exceptions, including those beyond MaxExceptionsKept
}

// Step is one thing the bank is expected to report.
type Step struct {
	Kind      FeedbackKind
	Amount    uint64
	Due       uint64      // block time (ms) by which feedback is expected
	Ref       string      // the bank's reference, once matched
	MatchedAt uint64      // block time of the match; 0 while waiting
	MatchedTx common.Hash // the feedback transaction that matched
}

// Exception is a feedback that did not match, kept as evidence.
type Exception struct {
	Tx     common.Hash
	Height uint64
	Time   uint64
	Bank   common.Address
	Record common.Hash
	Kind   FeedbackKind
	Asset  string
	Amount uint64
	Ref    string
	Reason string
}

func (t BankTrack) copy() BankTrack {
	t.Steps = append([]Step(nil), t.Steps...)
	t.Exceptions = append([]Exception(nil), t.Exceptions...)
	return t
}

// expect adds a step the bank must report by due.
func (t *BankTrack) expect(kind FeedbackKind, amount, due uint64) {
	t.Steps = append(t.Steps, Step{Kind: kind, Amount: amount, Due: due})
}

// matched reports whether a step of kind was matched.
func (t *BankTrack) matched(kind FeedbackKind) bool {
	for _, s := range t.Steps[:t.Matched] {
		if s.Kind == kind {
			return true
		}
	}
	return false
}

// Next is the step expected next, if any.
func (t *BankTrack) Next() (Step, bool) {
	if int(t.Matched) < len(t.Steps) {
		return t.Steps[t.Matched], true
	}
	return Step{}, false
}

// Status is the record's bank status at block time now.
func (t *BankTrack) Status(now uint64) string {
	next, waiting := t.Next()
	switch {
	case t.Flagged:
		return BankMismatch
	case waiting && now > next.Due:
		return BankOverdue
	case waiting:
		return BankWaiting
	}
	return BankMatched
}

// record is what feedback can match: an escrow or a payout.
type record struct {
	id      common.Hash
	asset   string
	track   *BankTrack
	parties []common.Address
	save    func()
}

func loadRecord(st *State, kind FeedbackKind, id common.Hash) (*record, bool) {
	if kind == FeedbackPayoutExecuted {
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
	return &record{id: id, asset: e.Asset, track: &e.Track, parties: e.parties(), save: func() { st.SetEscrow(e) }}, true
}

// applyFeedback matches a bank's report against the record it names. A
// match advances the record. A mismatch is not dropped: the record is
// flagged and keeps the report as an exception, the receipt carries it, and
// the code is feedback_mismatch. Balances never change either way.
func applyFeedback(st *State, c txContext, fb Feedback) error {
	bank := c.sender
	if _, ok := st.Bank(bank); !ok {
		return reject(ErrNotBank, "%s is not a member bank", bank)
	}
	if _, ok := feedbackKindNames[fb.Kind]; !ok {
		return reject(ErrMalformed, "feedback kind %d", fb.Kind)
	}
	if fb.Ref == "" || len(fb.Ref) > MaxBankRefLen {
		return reject(ErrMalformed, "bank reference must be 1-%d bytes", MaxBankRefLen)
	}
	ex := Exception{Tx: c.hash, Height: st.block.Height, Time: st.block.Time, Bank: bank, Record: fb.Record,
		Kind: fb.Kind, Asset: fb.Asset, Amount: fb.Amount, Ref: fb.Ref}
	ev := Event{Record: fb.Record, Bank: bank, Asset: fb.Asset, Amount: fb.Amount, Step: fb.Kind.String(), Ref: fb.Ref}
	rec, ok := loadRecord(st, fb.Kind, fb.Record)
	if !ok {
		ev.Kind, ev.Reason = EventFeedbackException, ReasonRecordNotFound
		st.emit(ev)
		return reject(ErrFeedbackMismatch, "%s: no record %s", ReasonRecordNotFound, fb.Record)
	}
	if rec.track.Bank != bank {
		return reject(ErrNotAuthorized, "record %s is serviced by %s, not %s", fb.Record, rec.track.Bank, bank)
	}
	ev.Accounts = rec.parties
	reason := ""
	next, waiting := rec.track.Next()
	switch {
	case !waiting || next.Kind != fb.Kind:
		reason = ReasonUnexpectedStep
	case fb.Asset != rec.asset:
		reason = ReasonAssetMismatch
	case fb.Amount != next.Amount:
		reason = ReasonAmountMismatch
	}
	if reason != "" {
		ex.Reason = reason
		t := rec.track
		t.Flagged = true
		t.ExceptionCount++
		if len(t.Exceptions) < MaxExceptionsKept {
			t.Exceptions = append(t.Exceptions, ex)
		}
		rec.save()
		ev.Kind, ev.Reason = EventFeedbackException, reason
		st.emit(ev)
		return reject(ErrFeedbackMismatch, "%s: %s", reason, describeExpected(next, waiting, rec.asset))
	}
	s := &rec.track.Steps[rec.track.Matched]
	s.Ref, s.MatchedAt, s.MatchedTx = fb.Ref, st.block.Time, c.hash
	rec.track.Matched++
	rec.save()
	ev.Kind = EventFeedbackMatched
	st.emit(ev)
	return nil
}

func describeExpected(next Step, waiting bool, asset string) string {
	if !waiting {
		return "no feedback is expected for the record now"
	}
	return fmt.Sprintf("expected %s of %d %s", next.Kind, next.Amount, asset)
}
