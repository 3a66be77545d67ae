package snapshot

import (
	"bytes"
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/audit/chaingen"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// fresh is the i-th account a fixture creates by a transfer.
func fresh(i int) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte{'f', byte(i >> 16), byte(i >> 8), byte(i)}))
}

// buildChain makes a 4-validator chain of blocks whose transfers create
// new accounts each block (registered by bank 0, funded by the customers), and which leaves open escrows (so the
// expiry index must be rebuilt on import).
func buildChain(t testing.TB, blocks, accounts int) *chaingen.Chain {
	t.Helper()
	return buildChainOn(t, ledger.NewMemStore(), blocks, accounts)
}

func buildChainOn(t testing.TB, store ledger.Store, blocks, accounts int) *chaingen.Chain {
	t.Helper()
	c, err := chaingen.New(store, chaingen.Genesis(4))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for b := 0; b < blocks; b++ {
		var txs []*chain.Tx
		for k := 0; k < accounts; k++ {
			txs = append(txs, c.Sign(chaingen.Bank(0), chain.RegisterAccount{Account: fresh(n + k)}))
		}
		for k := 0; k < accounts; k++ {
			txs = append(txs, c.Sign(chaingen.Customer(k%4), chain.Transfer{To: fresh(n), Asset: "CNY", Amount: uint64(n + 1)}))
			n++
		}
		next := c.Ledger.Head().Time + chaingen.BlockInterval
		txs = append(txs, c.Sign(chaingen.Customer(0), chain.Hold{Payee: fresh(0), Asset: "CNY", Amount: 10, Expiry: next + 3_600_000}))
		if _, err := c.Next(txs); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// exportBytes exports c's head with small chunks.
func exportBytes(t testing.TB, c *chaingen.Chain, chunkSize int) ([]byte, *Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, _, err := Export(context.Background(), c.Ledger.DB(), ExportOptions{ChunkSize: chunkSize, TmpDir: t.TempDir()}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}
