package indexer

import (
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// movement is how one event moves one account's holding of one asset
// between available, held and locked (signed minor units).
type movement struct {
	account                 common.Address
	asset                   string
	available, held, locked *big.Int
}

// movements lists what an event moves, one entry per account and asset.
// escrowAmount gives an escrow's whole amount (a release names only what
// it released; the rest returns to the payer).
func movements(ev chain.Event, escrowAmount func(common.Hash) (uint64, error)) ([]movement, error) {
	var out []movement
	move := func(a common.Address, available, held, locked int64, amount uint64) {
		v := new(big.Int).SetUint64(amount)
		scale := func(k int64) *big.Int { return new(big.Int).Mul(big.NewInt(k), v) }
		for i := range out {
			if out[i].account == a { // one row per account: a self-transfer nets out
				out[i].available.Add(out[i].available, scale(available))
				out[i].held.Add(out[i].held, scale(held))
				out[i].locked.Add(out[i].locked, scale(locked))
				return
			}
		}
		out = append(out, movement{account: a, asset: ev.Asset, available: scale(available), held: scale(held), locked: scale(locked)})
	}
	party := func(i int) common.Address { return ev.Accounts[i] }
	switch ev.Kind {
	case chain.EventTransfer:
		move(party(0), -1, 0, 0, ev.Amount)
		move(party(1), +1, 0, 0, ev.Amount)
	case chain.EventRequestPaid:
		// paid directly: the accept is a transfer from the payer to the
		// merchant; paid into escrow, its escrow_opened moves the funds
		if ev.Step == chain.SettleDirect.String() {
			move(party(0), -1, 0, 0, ev.Amount)
			move(party(1), +1, 0, 0, ev.Amount)
		}
	case chain.EventMint:
		move(party(0), +1, 0, 0, ev.Amount)
	case chain.EventBurn, chain.EventWithdrawal:
		move(party(0), -1, 0, 0, ev.Amount)
	case chain.EventEscrowOpened:
		move(party(0), -1, +1, 0, ev.Amount)
	case chain.EventEscrowRefunded, chain.EventEscrowExpired:
		move(party(0), +1, -1, 0, ev.Amount)
	case chain.EventEscrowReleased:
		whole, err := escrowAmount(ev.Record)
		if err != nil {
			return nil, err
		}
		move(party(0), 0, -1, 0, whole)
		move(party(0), +1, 0, 0, whole-ev.Amount)
		move(party(1), 0, 0, +1, ev.Amount)
	}
	return out, nil
}

// genesisMovements are the genesis allocations as movements at height 0:
// position is the account's place in the genesis, idx the asset's in
// symbol order.
func genesisMovements(g *chain.Genesis) ([]placed, error) {
	var out []placed
	for i, ga := range g.Accounts {
		syms := make([]string, 0, len(ga.Balances))
		for sym := range ga.Balances {
			syms = append(syms, sym)
		}
		sort.Strings(syms)
		for j, sym := range syms {
			dec, ok := decimalsOf(g, sym)
			if !ok {
				return nil, fmt.Errorf("genesis account %s holds unknown asset %q", ga.Address, sym)
			}
			v, err := chain.ParseAmount(ga.Balances[sym], dec)
			if err != nil {
				return nil, fmt.Errorf("genesis account %s %s: %w", ga.Address, sym, err)
			}
			out = append(out, placed{position: i, idx: j, kind: "genesis",
				movement: movement{account: ga.Address, asset: sym, available: new(big.Int).SetUint64(v), held: new(big.Int), locked: new(big.Int)}})
		}
	}
	return out, nil
}

// placed is a movement with its place in the chain.
type placed struct {
	position, idx int
	kind          string
	txHash        *common.Hash
	movement
}

func decimalsOf(g *chain.Genesis, sym string) (uint8, bool) {
	for _, a := range g.Assets {
		if a.Symbol == sym {
			return a.Decimals, true
		}
	}
	return 0, false
}
