package chain

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Supervisor approval (docs/POLICIES.md, docs/adr/0051-supervisor-approval.md):
// a debit that needs its account's supervisor and lacks the supervisor's
// co-signature, but has every other credential its policy requires, does
// not fail: it waits as awaiting_approval. The supervisor approves it (the
// funds move then, by the same rules) or rejects it with its own
// transaction; the payer may recall it; past its deadline in block time it
// lapses and nothing can move it. Its id is the waiting transaction's hash.

// Transaction types of supervisor approval.
const (
	TxApprovePayment TxType = 21
	TxRejectPayment  TxType = 22
	TxRecallPayment  TxType = 23
)

// ApprovalWindow is how long, in block time, a payment waits for its
// supervisor before it lapses.
const ApprovalWindow = 24 * time.Hour

// ApprovePayment is the supervisor's approval of a waiting payment: the
// payment executes in this transaction.
type ApprovePayment struct {
	Payment common.Hash
}

// RejectPayment is the supervisor's refusal of a waiting payment, with a
// reason code (letters, digits, '_' or '-', as a decline's).
type RejectPayment struct {
	Payment common.Hash
	Reason  string
}

// RecallPayment is the payer's withdrawal of its own waiting payment.
type RecallPayment struct {
	Payment common.Hash
}

func (ApprovePayment) TxType() TxType { return TxApprovePayment }
func (RejectPayment) TxType() TxType  { return TxRejectPayment }
func (RecallPayment) TxType() TxType  { return TxRecallPayment }

// ApprovalStatus is where a waiting payment is. Awaiting is the only
// non-final status; lapsed is never stored, but read from an awaiting
// payment past its deadline (StatusAt).
type ApprovalStatus uint8

const (
	ApprovalAwaiting ApprovalStatus = 1
	ApprovalApproved ApprovalStatus = 2
	ApprovalRejected ApprovalStatus = 3
	ApprovalRecalled ApprovalStatus = 4
	ApprovalLapsed   ApprovalStatus = 5
)

var approvalStatusNames = map[ApprovalStatus]string{
	ApprovalAwaiting: "awaiting_approval", ApprovalApproved: "approved", ApprovalRejected: "rejected",
	ApprovalRecalled: "recalled", ApprovalLapsed: "lapsed",
}

func (s ApprovalStatus) String() string { return statusName(approvalStatusNames, s) }

// Approval is a payment waiting for (or past) its supervisor's decision,
// stored under ApprovalKey. Tx is the waiting transaction's canonical
// encoding: on approval it executes as itself, with its own hash (the
// escrow or payout id) and its own co-signatures, plus the supervisor's.
type Approval struct {
	ID         common.Hash
	Payer      common.Address
	Supervisor common.Address
	Payee      common.Address // zero for a withdraw
	Asset      string
	Amount     uint64
	Deadline   uint64 // block time (ms); after it the payment has lapsed
	Status     ApprovalStatus
	Height     uint64
	Tx         []byte
	Reason     string `rlp:"optional"` // the supervisor's rejection reason
}

// StatusAt is the payment's status at block time now: an awaiting payment
// past its deadline has lapsed.
func (a *Approval) StatusAt(now uint64) ApprovalStatus {
	if a.Status == ApprovalAwaiting && now > a.Deadline {
		return ApprovalLapsed
	}
	return a.Status
}

// ApprovalQuery selects waiting (or decided) payments: those of Payer, or
// awaiting Supervisor (exactly one is set), newest first, optionally with
// one status as of the head block's time (lapsed included).
type ApprovalQuery struct {
	Payer      *common.Address
	Supervisor *common.Address
	Status     ApprovalStatus // 0: any
	Limit      int            // 0: 100
}

// ParseApprovalStatus reads a status name (String's).
func ParseApprovalStatus(s string) (ApprovalStatus, bool) {
	for st, n := range approvalStatusNames {
		if n == s {
			return st, true
		}
	}
	return 0, false
}

// PrefixApproval is the state key prefix of waiting payments.
const PrefixApproval = 'q'

// ApprovalKey is the state key of a waiting payment.
func ApprovalKey(id common.Hash) []byte { return append([]byte{PrefixApproval}, id[:]...) }

// Approval events (receipts, subscriptions, webhooks). Stable names.
// Accounts are the payer, the supervisor, then the payee if any.
const (
	EventApprovalRequested = "approval_requested"
	EventPaymentApproved   = "payment_approved"
	EventPaymentRejected   = "payment_rejected"
	EventPaymentRecalled   = "payment_recalled"
)

// Approval rejections.
var (
	ErrApprovalNotFound   = &RejectError{"approval_not_found"}
	ErrApprovalNotPending = &RejectError{"approval_not_pending"}
	ErrApprovalLapsed     = &RejectError{"approval_lapsed"}
)

func init() {
	AllRejectCodes = append(AllRejectCodes, ErrApprovalNotFound, ErrApprovalNotPending, ErrApprovalLapsed)
	txTypeNames[TxApprovePayment] = "approve_payment"
	txTypeNames[TxRejectPayment] = "reject_payment"
	txTypeNames[TxRecallPayment] = "recall_payment"
	bodyDecoders[TxApprovePayment] = decodeAs[ApprovePayment]
	bodyDecoders[TxRejectPayment] = decodeAs[RejectPayment]
	bodyDecoders[TxRecallPayment] = decodeAs[RecallPayment]
}

// ApprovedEvent is the event a waiting transaction's own execution would
// have been described by (a transfer, a burn), for the receipt of the
// approval that executes it; ok false for types whose rules emit their own
// events (hold, withdraw, accept).
func ApprovedEvent(tx *Tx) (Event, bool) { return derivedEvent(tx, &Receipt{}) }
