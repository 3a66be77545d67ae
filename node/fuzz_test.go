package node

import (
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// FuzzTxBatch: the gossip validator for transaction batches refuses every
// malformed batch with an error and never panics.
func FuzzTxBatch(f *testing.F) {
	n := &Node{cfg: Config{Genesis: devnet.DefaultGenesis(1)}, txs: newTxIntern(txpool.New(txpool.Config{}, "sovereign-devnet", nil))}
	tx := chain.NewTx("sovereign-devnet", 0, chain.Transfer{Asset: "CNY", Amount: 1})
	_ = tx.Sign(devnet.Key(devnet.Seed, "customer", 0))
	good, _ := rlp.EncodeToBytes([][]byte{tx.Bytes()})
	f.Add(good)
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := n.validateTxBatch(data)
		if err == nil {
			if txs, ok := v.([]*chain.Tx); !ok || len(txs) == 0 {
				t.Fatalf("accepted batch decodes to %T", v)
			}
		}
	})
}
