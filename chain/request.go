package chain

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Payment requests (docs/PAYMENTS.md, docs/adr/0041-payment-requests.md):
// a merchant asks a payer, named by address or alias, to pay an amount
// before an expiry; the payer accepts (paying in the same transaction,
// directly or into escrow) or declines; the merchant may cancel while the
// request is open; the chain expires it at the first block past its expiry.
// A request ends exactly once. Its id is the request transaction's hash.

// Transaction types of payment requests.
const (
	TxRequest       TxType = 15
	TxAccept        TxType = 16
	TxDecline       TxType = 17
	TxCancelRequest TxType = 18
)

// SettleMode is how an accepted request pays.
type SettleMode uint8

const (
	SettleDirect SettleMode = 1 // a transfer to the merchant
	SettleEscrow SettleMode = 2 // a hold for the merchant, released later like any escrow
)

var settleModeNames = map[SettleMode]string{SettleDirect: "direct", SettleEscrow: "escrow"}

func (m SettleMode) String() string {
	if n, ok := settleModeNames[m]; ok {
		return n
	}
	return fmt.Sprintf("mode_%d", uint8(m))
}

// ParseSettleMode is the inverse of String.
func ParseSettleMode(name string) (SettleMode, bool) {
	for m, n := range settleModeNames {
		if n == name {
			return m, true
		}
	}
	return 0, false
}

// PaymentRequest is a merchant's (the sender's) request to be paid. Exactly
// one of Payer and PayerAlias names the payer; an alias is resolved when the
// request executes, and the request keeps the account. Expiry is block time
// (ms); past it the request cannot be accepted. In escrow mode the hold
// lasts HoldFor (ms) from the accept, and Arbiter, when not zero, may
// release or refund it.
type PaymentRequest struct {
	Payer      common.Address
	PayerAlias common.Hash
	Asset      string
	Amount     uint64
	Expiry     uint64
	Ref        string // the merchant's order reference
	Mode       SettleMode
	Arbiter    common.Address
	HoldFor    uint64
}

// Accept pays an open request addressed to the sender. Asset and Amount
// must be exactly what was asked: the payer signs what it pays.
type Accept struct {
	Request common.Hash
	Asset   string
	Amount  uint64
}

// Decline refuses an open request addressed to the sender, with a reason
// code (ISO 20022 style, e.g. "AC04"; letters, digits, '_' and '-').
type Decline struct {
	Request common.Hash
	Reason  string
}

// CancelRequest withdraws an open request; only its merchant sends it.
type CancelRequest struct {
	Request common.Hash
}

func (PaymentRequest) TxType() TxType { return TxRequest }
func (Accept) TxType() TxType         { return TxAccept }
func (Decline) TxType() TxType        { return TxDecline }
func (CancelRequest) TxType() TxType  { return TxCancelRequest }

// RequestStatus is where a request is in its life. Open is the only state
// that is not final.
type RequestStatus uint8

const (
	RequestOpen      RequestStatus = 1
	RequestPaid      RequestStatus = 2
	RequestDeclined  RequestStatus = 3
	RequestExpired   RequestStatus = 4
	RequestCancelled RequestStatus = 5
)

var requestStatusNames = map[RequestStatus]string{
	RequestOpen: "open", RequestPaid: "paid", RequestDeclined: "declined", RequestExpired: "expired", RequestCancelled: "cancelled",
}

func (s RequestStatus) String() string { return statusName(requestStatusNames, s) }

// ParseRequestStatus is the inverse of String.
func ParseRequestStatus(name string) (RequestStatus, bool) {
	for s, n := range requestStatusNames {
		if n == name {
			return s, true
		}
	}
	return 0, false
}

// Limits on requests.
const (
	MaxRequestLifetime = 366 * 24 * time.Hour
	MaxRequestRef      = 35 // ISO 20022 Max35Text, like an end-to-end id
	MaxDeclineReason   = 35
)

// reasonPattern is what a decline reason code may contain.
var reasonPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,35}$`)

// ValidReason reports whether r is an acceptable decline reason code.
func ValidReason(r string) bool { return reasonPattern.MatchString(r) }

// Request is a payment request and what became of it.
type Request struct {
	ID       common.Hash
	Merchant common.Address
	Payer    common.Address
	Asset    string
	Amount   uint64
	Expiry   uint64
	Ref      string
	Mode     SettleMode
	Arbiter  common.Address
	HoldFor  uint64
	Status   RequestStatus

	CreatedHeight uint64
	CreatedAt     uint64
	EndedHeight   uint64 // 0 while open
	EndedAt       uint64 // block time it ended
	// Trailing and optional: an open request (the common state) encodes
	// without them.
	Payment common.Hash `rlp:"optional"` // the accept transaction: the transfer, or the escrow's id
	Escrow  common.Hash `rlp:"optional"` // the escrow paid into (escrow mode), zero otherwise
	Reason  string      `rlp:"optional"` // decline reason
}

// RequestKey is the state key of a request.
func RequestKey(id common.Hash) []byte { return append([]byte{PrefixRequest}, id[:]...) }

// PrefixRequest is the state key prefix of payment requests.
const PrefixRequest = 'r'

// Parties are the payer and the merchant.
func (r *Request) Parties() []common.Address { return []common.Address{r.Payer, r.Merchant} }

// Request events (receipts, subscriptions, webhooks). Stable names.
const (
	EventRequestOpened    = "request_opened"
	EventRequestPaid      = "request_paid"
	EventRequestDeclined  = "request_declined"
	EventRequestCancelled = "request_cancelled"
	EventRequestExpired   = "request_expired"
	EventAliasBound       = "alias_bound"
	EventAliasUnbound     = "alias_unbound"
)

// Request rejections.
var (
	ErrRequestNotFound = &RejectError{"request_not_found"}
	ErrRequestNotOpen  = &RejectError{"request_not_open"}
	ErrRequestExpired  = &RejectError{"request_expired"}
	ErrAmountMismatch  = &RejectError{"amount_mismatch"}
	ErrNotPayer        = &RejectError{"not_payer"}
)

func init() {
	AllRejectCodes = append(AllRejectCodes,
		ErrAliasNotFound, ErrAliasTaken, ErrBadAlias,
		ErrRequestNotFound, ErrRequestNotOpen, ErrRequestExpired, ErrAmountMismatch, ErrNotPayer)
}

// RequestQuery selects requests: those addressed to Payer, or made by
// Merchant (exactly one is set), newest first, optionally with one status.
type RequestQuery struct {
	Payer    *common.Address
	Merchant *common.Address
	Status   RequestStatus // 0: any
	Limit    int
}
