package ledger

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
)

// goldenChain pins the hashes of a short, fixed chain: the genesis, three
// blocks of transfers, mints, holds, a release, a refund and a refused
// overdraft. Any change to an encoding, a hash, a state key or a rule's
// effect on state shows up here; a restructure must leave it unchanged.
const goldenChain = `genesis 58523e86acdc
block 1 hash=27474df5ded1 state=dd9ee38fdea4 receipts=56090fec054f txs=d4a9640af7ff
  tx 565450a22281 ""
  tx 9c06d50c8610 ""
  tx 353eb97e45a3 ""
  tx d37cbee5e8e2 ""
block 2 hash=249be5e1f765 state=f2263eb826cc receipts=d213d61d133e txs=430cf0eed099
  tx 5429a0dc0d36 ""
  tx 60d5fa20375a ""
  tx 36802d760aba "insufficient_funds"
block 3 hash=bd3fc5329ff0 state=6fd85836a04e receipts=f5cea7ba623a txs=98b98a26dcb2
  tx 0c5039e9b42f ""
devnet genesis cc34ae83d99601485ea3ba35f5279c6193abaaaa3b2ae3afc073e81dacdb8596
vote 8ca99d6cc3115316
proposal bd2715cbdcb8821d
`

// TestGoldenChain runs the same chain on the disk store and on its
// in-memory twin: both must give the pinned hashes.
func TestGoldenChain(t *testing.T) {
	for name, open := range map[string]func(testing.TB, int, ...func(*chain.Genesis)) *fixture{"leveldb": newFixture, "memory": newMemFixture} {
		t.Run(name, func(t *testing.T) {
			if got := goldenRun(t, open(t, 3)); got != goldenChain {
				t.Fatalf("golden chain changed:\n%s\nwant:\n%s", got, goldenChain)
			}
		})
	}
}

func goldenRun(t *testing.T, f *fixture) string {
	var out strings.Builder
	fmt.Fprintf(&out, "genesis %x\n", f.ledger.GenesisHash().Bytes()[:6])
	c0, c1, c2 := f.customers[0], f.customers[1], f.customers[2]
	transfer := f.tx(c0, chain.Transfer{To: addr(c1), Asset: "CNY", Amount: 12345})
	hold1 := f.tx(c0, chain.Hold{Payee: addr(c1), Asset: "CNY", Amount: 5000, Expiry: f.now + 3_600_000})
	hold2 := f.tx(c2, chain.Hold{Payee: addr(c1), Asset: "CNY", Amount: 700, Expiry: f.now + 3_600_000})
	blocks := [][]*chain.Tx{
		{transfer, f.tx(f.banks[0], chain.Mint{To: addr(c0), Asset: "CNY", Amount: 99}), hold1, hold2},
		{f.tx(c0, chain.Release{Escrow: hold1.Hash(), Amount: 3000}), f.tx(c1, chain.Refund{Escrow: hold2.Hash()}), f.tx(c2, chain.Transfer{To: addr(c0), Asset: "CNY", Amount: 1 << 40})},
		{f.tx(c1, chain.Transfer{To: addr(c2), Asset: "CNY", Amount: 1})},
	}
	for _, txs := range blocks {
		b, ex := f.block(txs...)
		h := b.Header
		fmt.Fprintf(&out, "block %d hash=%x state=%x receipts=%x txs=%x\n", h.Height, b.Hash().Bytes()[:6], h.StateRoot[:6], h.ReceiptRoot[:6], h.TxRoot[:6])
		for _, d := range ex.Dropped {
			fmt.Fprintf(&out, "  dropped %x %v\n", d.Tx.Hash().Bytes()[:6], d.Err)
		}
		for i, tx := range b.Txs {
			fmt.Fprintf(&out, "  tx %x %q\n", tx.Hash().Bytes()[:6], ex.Receipts[i].Code)
		}
	}
	dev, err := OpenLedger(NewMemStore(), devnet.DefaultGenesis(4))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "devnet genesis %x\n", dev.GenesisHash().Bytes())
	fmt.Fprintf(&out, "vote %x\n", chain.VoteSignHash("golden", chain.VotePrecommit, 7, 2, crypto.Keccak256Hash([]byte("b"))).Bytes()[:8])
	fmt.Fprintf(&out, "proposal %x\n", chain.ProposalSignHash("golden", 7, 2, 1, crypto.Keccak256Hash([]byte("b"))).Bytes()[:8])
	return out.String()
}
