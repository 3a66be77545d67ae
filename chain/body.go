package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// TxType names a transaction's kind; it selects the payload's shape.
type TxType uint8

const (
	TxTransfer        TxType = 1
	TxMint            TxType = 2
	TxBurn            TxType = 3
	TxRegisterAccount TxType = 4
	TxHold            TxType = 5
	TxRelease         TxType = 6
	TxRefund          TxType = 7
	TxSetWithdrawKey  TxType = 8
	TxWithdraw        TxType = 9
	TxFeedback        TxType = 10
	TxEvidence        TxType = 11
	TxCommitHashChain TxType = 12
)

// Body is a transaction's typed payload.
type Body interface {
	TxType() TxType
}

// Transfer moves available funds from the sender to To.
type Transfer struct {
	To     common.Address
	Asset  string
	Amount uint64
}

// Mint creates tokenized deposits in To's account; only an issuer of the
// asset may send it, and To must be an account the issuer services.
type Mint struct {
	To     common.Address
	Asset  string
	Amount uint64
}

// Burn destroys funds from the issuer's own available balance (a payout out
// of the chain).
type Burn struct {
	Asset  string
	Amount uint64
}

// RegisterAccount makes Account exist, serviced by the sending member bank.
type RegisterAccount struct {
	Account common.Address
}

// Hold opens an escrow: Amount of Asset moves from the sender's (payer's)
// available balance to held, for Payee, until Expiry (block time in
// milliseconds). Arbiter, when not zero, may release or refund too. The
// escrow's id is the hold transaction's hash.
type Hold struct {
	Payee   common.Address
	Asset   string
	Amount  uint64
	Expiry  uint64
	Arbiter common.Address
}

// Release ends an open escrow in the payee's favour (sent by the payer or
// the arbiter): Amount (0 = all of it) goes to the payee's locked balance
// for the protection period, the rest back to the payer's available.
type Release struct {
	Escrow common.Hash
	Amount uint64
}

// Refund ends an open escrow in the payer's favour (sent by the payee or
// the arbiter): the whole hold returns to the payer's available balance.
type Refund struct {
	Escrow common.Hash
}

// SetWithdrawalKey registers Key as the account's withdrawal key, which
// must then co-sign every withdraw. Replacing or clearing (zero) a key
// already registered needs that key's co-signature too.
type SetWithdrawalKey struct {
	Key common.Address
}

// Withdraw burns Amount of Asset from the sender's available balance for a
// payout by its servicing bank. Details are the bank account to pay into,
// encrypted to the bank's public key (EncryptPayout): only the bank reads
// them. The payout's id is the transaction's hash.
type Withdraw struct {
	Asset   string
	Amount  uint64
	Details []byte
}

// Feedback is a member bank's report of what it did in its own books for
// an escrow or payout (Record): Kind, with amount, asset and the bank's own
// reference. The ledger matches it against the record.
type Feedback struct {
	Kind   FeedbackKind
	Record common.Hash
	Asset  string
	Amount uint64
	Ref    string
}

func (Hold) TxType() TxType             { return TxHold }
func (Release) TxType() TxType          { return TxRelease }
func (Refund) TxType() TxType           { return TxRefund }
func (SetWithdrawalKey) TxType() TxType { return TxSetWithdrawKey }
func (Withdraw) TxType() TxType         { return TxWithdraw }
func (Feedback) TxType() TxType         { return TxFeedback }

func (Transfer) TxType() TxType        { return TxTransfer }
func (Mint) TxType() TxType            { return TxMint }
func (Burn) TxType() TxType            { return TxBurn }
func (RegisterAccount) TxType() TxType { return TxRegisterAccount }

// txTypeNames maps types to their names at the RPC and CLI edge.
var txTypeNames = map[TxType]string{
	TxTransfer:        "transfer",
	TxMint:            "mint",
	TxBurn:            "burn",
	TxRegisterAccount: "register_account",
	TxHold:            "hold",
	TxRelease:         "release",
	TxRefund:          "refund",
	TxSetWithdrawKey:  "set_withdrawal_key",
	TxWithdraw:        "withdraw",
	TxFeedback:        "feedback",
	TxEvidence:        "evidence",
	TxCommitHashChain: "commit_hash_chain",
	TxBindAlias:       "bind_alias",
	TxUnbindAlias:     "unbind_alias",
	TxRequest:         "request",
	TxAccept:          "accept",
	TxDecline:         "decline",
	TxCancelRequest:   "cancel_request",
}

// MaxSigs is how many signatures a transaction of type t may carry: the
// sender's, plus the withdrawal key's where it co-signs, plus on a debit
// the co-signers an account policy can require (chain/policy.go): up to
// MaxTxSigs in all.
func MaxSigs(t TxType) int {
	switch t {
	case TxTransfer, TxBurn, TxHold, TxWithdraw, TxAccept:
		return MaxTxSigs
	case TxCreateSubAccount, TxSetSubAccount: // a draw authorization carries the main account's policy co-signers
		return MaxTxSigs
	case TxSetWithdrawKey:
		return 2
	}
	return 1
}

func (t TxType) String() string {
	if n, ok := txTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type_%d", uint8(t))
}

// bodyDecoders decodes each transaction type's payload into its value
// form; a new transaction type is one line here (and its rule in rules.go).
var bodyDecoders = map[TxType]func([]byte) (Body, error){
	TxTransfer:        decodeAs[Transfer],
	TxMint:            decodeAs[Mint],
	TxBurn:            decodeAs[Burn],
	TxRegisterAccount: decodeAs[RegisterAccount],
	TxHold:            decodeAs[Hold],
	TxRelease:         decodeAs[Release],
	TxRefund:          decodeAs[Refund],
	TxSetWithdrawKey:  decodeAs[SetWithdrawalKey],
	TxWithdraw:        decodeAs[Withdraw],
	TxFeedback:        decodeAs[Feedback],
	TxEvidence:        decodeAs[Evidence],
	TxCommitHashChain: decodeAs[CommitHashChain],
	TxBindAlias:       decodeAs[BindAlias],
	TxUnbindAlias:     decodeAs[UnbindAlias],
	TxRequest:         decodeAs[PaymentRequest],
	TxAccept:          decodeAs[Accept],
	TxDecline:         decodeAs[Decline],
	TxCancelRequest:   decodeAs[CancelRequest],
}

func decodeAs[T Body](payload []byte) (Body, error) {
	var v T
	err := rlp.DecodeBytes(payload, &v)
	return v, err
}

func decodeBody(t TxType, payload []byte) (Body, error) {
	decode, ok := bodyDecoders[t]
	if !ok {
		return nil, Reject(ErrUnknownType, "transaction type %d", t)
	}
	body, err := decode(payload)
	if err != nil {
		return nil, Reject(ErrMalformed, "decode %s payload: %v", t, err)
	}
	return body, nil
}

// Debit is what a transaction takes from its sender's available balance if
// it succeeds: the asset and amount. Types that debit nothing return "", 0.
// The txpool uses it to refuse a sender's queue that overdraws.
func (tx *Tx) Debit() (asset string, amount uint64) { return DebitOf(tx.body) }

// DebitOf is Tx.Debit for a body: what it takes from the sender's
// available balance if it succeeds. Account policies bind exactly these
// debits.
func DebitOf(body Body) (asset string, amount uint64) {
	switch b := body.(type) {
	case Transfer:
		return b.Asset, b.Amount
	case Burn:
		return b.Asset, b.Amount
	case Hold:
		return b.Asset, b.Amount
	case Withdraw:
		return b.Asset, b.Amount
	case Accept:
		return b.Asset, b.Amount
	}
	return "", 0
}
