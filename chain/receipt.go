package chain

import (
	"bytes"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
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

// Receipts adapts a receipt list to DeriveSha.
type Receipts []*Receipt

func (l Receipts) Len() int { return len(l) }
func (l Receipts) EncodeIndex(i int, w *bytes.Buffer) {
	if err := rlp.Encode(w, l[i]); err != nil {
		panic(err)
	}
}

// ReceiptRoot is the Merkle root over receipts in transaction order.
func ReceiptRoot(rs []*Receipt) common.Hash {
	return types.DeriveSha(Receipts(rs), trie.NewStackTrie(nil))
}
