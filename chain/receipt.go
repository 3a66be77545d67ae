package chain

import (
	"github.com/ethereum/go-ethereum/common"
)

// Receipt is the outcome of one transaction in a block. A transaction whose
// ledger rule rejected it is still in the block (its nonce is spent) and its
// receipt carries the rejection code, so the refusal is on the record.
//
// A block whose start produced events (escrows voided by expiry) has one
// more receipt after its transactions' receipts: the block's own, with a
// zero TxHash.
type Receipt struct {
	TxHash common.Hash
	Code   string  // "" on success, else a RejectError code
	Events []Event `rlp:"optional"` // what the transaction did to escrows, payouts and feedback records
}

// IsBlockReceipt reports whether r is the block's own receipt rather than a
// transaction's.
func (r *Receipt) IsBlockReceipt() bool { return r.TxHash == (common.Hash{}) }

// OK reports whether the transaction took effect.
func (r *Receipt) OK() bool { return r.Code == "" }
