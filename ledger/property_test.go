package ledger

import (
	"crypto/ecdsa"
	"maps"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"pgregory.net/rapid"
)

// TestLedgerInvariants runs random transaction sequences (valid and not)
// and checks after every transaction: per asset, the sum of all balances
// equals minted minus burned; a sender's nonce rises by exactly one per
// transaction it sends; an unregistered account never appears.
func TestLedgerInvariants(t *testing.T) {
	f := newFixture(t, 4)
	keys := append(append([]*ecdsa.PrivateKey{}, f.banks...), f.customers...)
	keys = append(keys, devnet.Key(testSeed, "new", 0), devnet.Key(testSeed, "new", 1))
	assets := []string{"CNY", "USD", "EUR"}
	genesisState := f.genesisKV()

	rapid.Check(t, func(rt *rapid.T) {
		kv := maps.Clone(genesisState)
		nonces := map[common.Address]uint64{}
		steps := rapid.IntRange(1, 60).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			from := keys[rapid.IntRange(0, len(keys)-1).Draw(rt, "from")]
			to := addr(keys[rapid.IntRange(0, len(keys)-1).Draw(rt, "to")])
			asset := assets[rapid.IntRange(0, len(assets)-1).Draw(rt, "asset")]
			amount := rapid.OneOf(rapid.Uint64Range(0, 200_000), rapid.Uint64()).Draw(rt, "amount")
			var body chain.Body
			switch rapid.IntRange(0, 3).Draw(rt, "kind") {
			case 0:
				body = chain.Transfer{To: to, Asset: asset, Amount: amount}
			case 1:
				body = chain.Mint{To: to, Asset: asset, Amount: amount}
			case 2:
				body = chain.Burn{Asset: asset, Amount: amount}
			default:
				body = chain.RegisterAccount{Account: to}
			}
			sender := addr(from)
			tx := chain.NewTx(f.g.ChainID, nonces[sender], body)
			if err := tx.Sign(from); err != nil {
				rt.Fatal(err)
			}
			st := NewState(kv)
			before, registered := st.Account(sender)
			rec, err := ApplyTx(st, f.g.ChainID, tx)
			if !registered {
				if err == nil {
					rt.Fatalf("unregistered sender %s was accepted", sender)
				}
				continue
			}
			if err != nil {
				rt.Fatalf("registered sender with right nonce refused: %v", err)
			}
			cs, err := st.Changes()
			if err != nil {
				rt.Fatal(err)
			}
			kv.Apply(cs)
			nonces[sender]++
			after, _ := NewState(kv).Account(sender)
			if after.Nonce != before.Nonce+1 {
				rt.Fatalf("nonce went %d → %d", before.Nonce, after.Nonce)
			}
			if !rec.OK() && len(cs) != 1 {
				rt.Fatalf("rejected tx (%s) changed %d entries, want only the sender's nonce", rec.Code, len(cs))
			}
			checkSupply(rt, kv)
		}
	})
}

// checkSupply asserts Σ(available+held+locked) = minted − burned per asset.
func checkSupply(rt *rapid.T, kv MemKV) {
	sums := map[string]*big.Int{}
	st := NewState(kv)
	for k := range kv {
		if k[0] != chain.PrefixAccount {
			continue
		}
		acct, _ := st.Account(common.BytesToAddress([]byte(k[1:])))
		for _, b := range acct.Balances {
			if sums[b.Asset] == nil {
				sums[b.Asset] = new(big.Int)
			}
			for _, v := range []uint64{b.Available, b.Held, b.Locked} {
				sums[b.Asset].Add(sums[b.Asset], new(big.Int).SetUint64(v))
			}
		}
	}
	for _, sym := range []string{"CNY", "USD"} {
		info, ok := st.Asset(sym)
		if !ok {
			rt.Fatalf("asset %s missing", sym)
		}
		supply := new(big.Int).Sub(new(big.Int).SetUint64(info.Minted), new(big.Int).SetUint64(info.Burned))
		sum := sums[sym]
		if sum == nil {
			sum = new(big.Int)
		}
		if sum.Cmp(supply) != 0 {
			rt.Fatalf("%s: balances sum to %s, minted − burned is %s", sym, sum, supply)
		}
	}
	if sums["EUR"] != nil {
		rt.Fatalf("balances of an asset that does not exist")
	}
}
