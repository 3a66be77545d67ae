package txpool_test

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/txpool"
)

// ledger is a stand-in for the committed state.
type ledger struct {
	nonce   map[common.Address]uint64
	balance map[common.Address]uint64
}

func (l ledger) Nonce(a common.Address) uint64                   { return l.nonce[a] }
func (l ledger) Available(a common.Address, asset string) uint64 { return l.balance[a] }
func (l ledger) Locked(common.Address, string) uint64            { return 0 }
func (l ledger) Check(*chain.Tx) error                           { return nil }

// A block producer waits for executable transactions, takes a block's worth
// and, once the block commits, tells the pool the new state.
func Example() {
	key, _ := crypto.GenerateKey()
	alice := crypto.PubkeyToAddress(key.PublicKey)
	state := ledger{nonce: map[common.Address]uint64{}, balance: map[common.Address]uint64{alice: 500}}
	pool := txpool.New(txpool.Config{}, "devnet", state)

	var txs []*chain.Tx
	for nonce := range uint64(3) {
		tx := chain.NewTx("devnet", nonce, chain.Transfer{To: common.Address{1}, Asset: "CNY", Amount: 200})
		_ = tx.Sign(key)
		txs = append(txs, tx)
	}
	for i, err := range pool.Add(txs) {
		if err != nil {
			fmt.Printf("tx %d: rejected, %s\n", i, chain.CodeOf(err))
		} else {
			fmt.Printf("tx %d: admitted\n", i)
		}
	}

	<-pool.Wait() // closed: there is work
	block := pool.Pending(10_000, 4<<20)
	fmt.Println("block:", len(block), "txs")

	// After commit: Alice's nonce is 2, her balance 100.
	next := ledger{nonce: map[common.Address]uint64{alice: 2}, balance: map[common.Address]uint64{alice: 100}}
	pool.Update(next, block)
	fmt.Println("left in pool:", pool.Len())
	// Output:
	// tx 0: admitted
	// tx 1: admitted
	// tx 2: rejected, insufficient_funds
	// block: 2 txs
	// left in pool: 0
}
