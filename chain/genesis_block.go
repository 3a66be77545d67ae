package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/core/types"
)

// GenesisChanges is the pure construction of the genesis state: assets,
// banks (each with its own account), validators' reveal tips, funded
// accounts and the first sovereign-key seed.
func (g *Genesis) GenesisChanges() ([]Change, error) {
	st := NewState(MemKV{})
	for _, b := range g.Banks {
		st.SetBank(&BankInfo{Address: b.Address, Name: b.Name, PubKey: b.PubKey})
		st.SetAccount(b.Address, &Account{Bank: b.Address})
	}
	supply := make(map[string]*AssetInfo)
	for _, a := range g.Assets {
		info := &AssetInfo{Symbol: a.Symbol, Decimals: a.Decimals, Issuers: a.Issuers}
		supply[a.Symbol] = info
	}
	for i, ga := range g.Accounts {
		acct := &Account{Bank: ga.Bank}
		for _, sym := range sortedKeys(ga.Balances) {
			info := supply[sym]
			amount, err := ParseAmount(ga.Balances[sym], info.Decimals)
			if err != nil {
				return nil, fmt.Errorf("accounts[%d].balances.%s: %w", i, sym, err)
			}
			acct.SetBalance(Balance{Asset: sym, Available: amount})
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
		st.SetValidator(v.Address, &ValidatorState{LastReveal: v.RevealTip, Length: v.RevealLength})
		// A validator has an account (no servicing bank) so that it can
		// sign transactions of its own: evidence now, governance later.
		if _, ok := st.Account(v.Address); !ok {
			st.SetAccount(v.Address, &Account{})
		}
	}
	st.SetSeed(GenesisSeed(g))
	return st.Changes()
}

// GenesisHeader is the pure header of block 0 for a state root. Its parent
// field carries the genesis document's hash, so the chain commits to the
// whole document.
func (g *Genesis) GenesisHeader(stateRoot [32]byte) *Header {
	return &Header{
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
