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

// Copy is a deep copy, safe to change.
func (t BankTrack) Copy() BankTrack {
	t.Steps = append([]Step(nil), t.Steps...)
	t.Exceptions = append([]Exception(nil), t.Exceptions...)
	return t
}

// Expect adds a step the bank must report by due.
func (t *BankTrack) Expect(kind FeedbackKind, amount, due uint64) {
	t.Steps = append(t.Steps, Step{Kind: kind, Amount: amount, Due: due})
}

// HasMatched reports whether a step of kind was matched.
func (t *BankTrack) HasMatched(kind FeedbackKind) bool {
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

// Known reports whether k is one of the feedback kinds the ledger matches.
func (k FeedbackKind) Known() bool {
	_, ok := feedbackKindNames[k]
	return ok
}
