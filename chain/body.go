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
}

func (t TxType) String() string {
	if n, ok := txTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type_%d", uint8(t))
}

// newBody returns an empty body for type t, or nil when t is unknown.
func newBody(t TxType) Body {
	switch t {
	case TxTransfer:
		return new(Transfer)
	case TxMint:
		return new(Mint)
	case TxBurn:
		return new(Burn)
	case TxRegisterAccount:
		return new(RegisterAccount)
	}
	return nil
}

func decodeBody(t TxType, payload []byte) (Body, error) {
	ptr := newBody(t)
	if ptr == nil {
		return nil, reject(ErrUnknownType, "transaction type %d", t)
	}
	if err := rlp.DecodeBytes(payload, ptr); err != nil {
		return nil, reject(ErrMalformed, "decode %s payload: %v", t, err)
	}
	return derefBody(ptr), nil
}

// derefBody turns the decoding pointer back into the value form that
// builders use, so a type switch sees one form only.
func derefBody(b Body) Body {
	switch v := b.(type) {
	case *Transfer:
		return *v
	case *Mint:
		return *v
	case *Burn:
		return *v
	case *RegisterAccount:
		return *v
	}
	return b
}

// Debit is what a transaction takes from its sender's available balance if
// it succeeds: the asset and amount. Types that debit nothing return "", 0.
// The txpool uses it to refuse a sender's queue that overdraws.
func (tx *Tx) Debit() (asset string, amount uint64) {
	switch b := tx.body.(type) {
	case Transfer:
		return b.Asset, b.Amount
	case Burn:
		return b.Asset, b.Amount
	}
	return "", 0
}
