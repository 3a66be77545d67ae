package ledger

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/sovereign-ledger/sovereign/chain"
)

// genesisChanges is the pure construction of the genesis state: assets,
// banks (each with its own account), validators' reveal tips, funded
// accounts and the first sovereign-key seed.
func genesisChanges(g *chain.Genesis) ([]Change, error) {
	st := NewState(MemKV{})
	for _, b := range g.Banks {
		st.SetBank(&chain.BankInfo{Address: b.Address, Name: b.Name, PubKey: b.PubKey})
		st.SetAccount(b.Address, &chain.Account{Bank: b.Address})
	}
	supply := make(map[string]*chain.AssetInfo)
	for _, a := range g.Assets {
		info := &chain.AssetInfo{Symbol: a.Symbol, Decimals: a.Decimals, Issuers: a.Issuers}
		supply[a.Symbol] = info
	}
	for i, ga := range g.Accounts {
		acct := &chain.Account{Bank: ga.Bank}
		for _, sym := range slices.Sorted(maps.Keys(ga.Balances)) {
			info := supply[sym]
			amount, err := chain.ParseAmount(ga.Balances[sym], info.Decimals)
			if err != nil {
				return nil, fmt.Errorf("accounts[%d].balances.%s: %w", i, sym, err)
			}
			acct.SetBalance(chain.Balance{Asset: sym, Available: amount})
			if info.Minted, err = addAmount(info.Minted, amount); err != nil {
				return nil, fmt.Errorf("assets.%s: supply overflows", sym)
			}
		}
		st.SetAccount(ga.Address, acct)
	}
	for _, a := range g.Assets {
		st.SetAsset(supply[a.Symbol])
	}
	for _, v := range g.Validators {
		st.SetValidator(v.Address, &chain.ValidatorState{LastReveal: v.RevealTip, Length: v.RevealLength})
		// A validator has an account (no servicing bank) so that it can
		// sign transactions of its own: evidence now, governance later.
		if _, ok := st.Account(v.Address); !ok {
			st.SetAccount(v.Address, &chain.Account{})
		}
	}
	st.SetSeed(chain.GenesisSeed(g))
	return st.Changes()
}

// genesisHeader is the pure header of block 0 for a state root. Its parent
// field carries the genesis document's hash, so the chain commits to the
// whole document.
func genesisHeader(g *chain.Genesis, stateRoot [32]byte) *chain.Header {
	return &chain.Header{
		ChainID:        g.ChainID,
		Height:         0,
		Time:           uint64(g.Time.UnixMilli()),
		Parent:         g.Hash(),
		TxRoot:         types.EmptyRootHash,
		ReceiptRoot:    types.EmptyRootHash,
		StateRoot:      stateRoot,
		ValidatorsHash: g.ValidatorSet().Hash(),
	}
}
