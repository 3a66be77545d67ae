package ledger

import (
	"bytes"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
)

// TxList adapts a transaction list to go-ethereum's DeriveSha so the
// transactions root is a standard Merkle-Patricia root with proofs.
type TxList []*chain.Tx

func (l TxList) Len() int { return len(l) }

func (l TxList) EncodeIndex(i int, w *bytes.Buffer) {
	w.Write(l[i].Bytes())
}

// TxRoot is the Merkle root over the transactions in order.
func TxRoot(txs []*chain.Tx) common.Hash {
	return types.DeriveSha(TxList(txs), trie.NewStackTrie(nil))
}

// Receipts adapts a receipt list to DeriveSha.
type Receipts []*chain.Receipt

func (l Receipts) Len() int { return len(l) }

func (l Receipts) EncodeIndex(i int, w *bytes.Buffer) {
	if err := rlp.Encode(w, l[i]); err != nil {
		panic(err)
	}
}

// ReceiptRoot is the Merkle root over receipts in transaction order.
func ReceiptRoot(rs []*chain.Receipt) common.Hash {
	return types.DeriveSha(Receipts(rs), trie.NewStackTrie(nil))
}
