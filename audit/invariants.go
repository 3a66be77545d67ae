package audit

import (
	"container/heap"
	"fmt"
	"math/bits"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// invariants are checked after every block from what the block changed,
// against the state before it: they hold whatever the rules say, so they
// catch a rule that is wrong, not only a block that breaks a rule.
type invariants struct {
	l        *ledger.Ledger
	held     map[string]uint64 // per asset: available + held + locked over all accounts
	assets   map[string]*chain.AssetInfo
	open     map[common.Hash]uint64 // open escrow → expiry
	expiries expiryHeap
}

func newInvariants(l *ledger.Ledger) (*invariants, error) {
	inv := &invariants{l: l, held: map[string]uint64{}, assets: map[string]*chain.AssetInfo{}, open: map[common.Hash]uint64{}}
	err := l.DB().ScanState(func(k, v []byte) error {
		switch k[0] {
		case chain.PrefixAccount:
			acct := new(chain.Account)
			if err := rlp.DecodeBytes(v, acct); err != nil {
				return fmt.Errorf("genesis account %x: %w", k, err)
			}
			for _, b := range acct.Balances {
				inv.held[b.Asset] += b.Available + b.Held + b.Locked
			}
		case chain.PrefixAsset:
			info := new(chain.AssetInfo)
			if err := rlp.DecodeBytes(v, info); err != nil {
				return fmt.Errorf("genesis asset %x: %w", k, err)
			}
			inv.assets[info.Symbol] = info
		}
		return nil
	})
	return inv, err
}

// block checks the invariants over a block's state changes. The ledger's
// committed state is still the parent's, so it gives the values before.
func (inv *invariants) block(a *auditor, h *chain.Header, changes []ledger.Change) error {
	before := inv.l.DB().StateKV()
	touched := map[string]bool{}
	var firstErr error
	fail := func(rule, format string, args ...any) {
		err := a.fail(rule, h.Height, nil, format, args...)
		if firstErr == nil {
			firstErr = err
		}
	}
	var accounts, escrows uint64
	for _, c := range changes {
		if len(c.Key) == 0 {
			continue
		}
		switch c.Key[0] {
		case chain.PrefixAccount:
			accounts++
		case chain.PrefixEscrow:
			escrows++
		}
		old, err := before.Get(c.Key)
		if err != nil {
			return err
		}
		switch c.Key[0] {
		case chain.PrefixAccount:
			inv.account(h, common.BytesToAddress(c.Key[1:]), old, c.Value, touched, fail)
		case chain.PrefixAsset:
			info := new(chain.AssetInfo)
			if err := rlp.DecodeBytes(c.Value, info); err != nil {
				return fmt.Errorf("asset %x: %w", c.Key, err)
			}
			inv.assets[info.Symbol] = info
			touched[info.Symbol] = true
		case chain.PrefixEscrow:
			inv.escrow(h, old, c.Value, fail)
		}
	}
	for asset := range touched {
		info, ok := inv.assets[asset]
		switch {
		case !ok:
			fail(RuleSupply, "accounts hold %s, which is no asset", asset)
		case info.Burned > info.Minted:
			fail(RuleSupply, "%s burned %d exceeds minted %d", asset, info.Burned, info.Minted)
		case inv.held[asset] != info.Minted-info.Burned:
			fail(RuleSupply, "%s: accounts hold %d, minted - burned is %d", asset, inv.held[asset], info.Minted-info.Burned)
		}
	}
	a.checks.pass(RuleSupply, uint64(len(touched)))
	a.checks.pass(RuleBalance, accounts)
	a.checks.pass(RuleLock, accounts)
	a.checks.pass(RuleEscrowOnce, escrows)
	for len(inv.expiries) > 0 && inv.expiries[0].expiry < h.Time {
		e := heap.Pop(&inv.expiries).(expiring)
		if exp, ok := inv.open[e.id]; ok && exp == e.expiry {
			fail(RuleEscrowExpiry, "escrow %s expired at %d and is still open at block time %d", e.id, e.expiry, h.Time)
		}
	}
	a.checks.pass(RuleEscrowExpiry, 1)
	return firstErr
}

func (inv *invariants) account(h *chain.Header, addr common.Address, oldRaw, newRaw []byte, touched map[string]bool, fail func(string, string, ...any)) {
	var old, acct chain.Account
	if oldRaw != nil {
		if err := rlp.DecodeBytes(oldRaw, &old); err != nil {
			fail(RuleBalance, "account %s before the block does not decode: %v", addr, err)
			return
		}
	}
	if newRaw != nil {
		if err := rlp.DecodeBytes(newRaw, &acct); err != nil {
			fail(RuleBalance, "account %s does not decode: %v", addr, err)
			return
		}
	}
	for _, b := range old.Balances {
		inv.held[b.Asset] -= b.Available + b.Held + b.Locked
		touched[b.Asset] = true
	}
	for _, b := range acct.Balances {
		sum, c1 := bits.Add64(b.Available, b.Held, 0)
		sum, c2 := bits.Add64(sum, b.Locked, 0)
		if c1+c2 != 0 {
			fail(RuleBalance, "account %s %s: available + held + locked overflows (a negative balance wrapped around)", addr, b.Asset)
		}
		inv.held[b.Asset] += sum
		touched[b.Asset] = true
		var locks uint64
		for _, l := range acct.Locks {
			if l.Asset == b.Asset {
				locks += l.Amount
			}
		}
		if locks != b.Locked {
			fail(RuleBalance, "account %s %s: locked %d, its locks add up to %d", addr, b.Asset, b.Locked, locks)
		}
	}
	// A lock still in its protection period must survive the block whole.
	for _, l := range old.Locks {
		if l.UnlockAt <= h.Time {
			continue
		}
		i := slices.IndexFunc(acct.Locks, func(n chain.Lock) bool { return n.Asset == l.Asset && n.UnlockAt == l.UnlockAt })
		if i < 0 || acct.Locks[i].Amount < l.Amount {
			fail(RuleLock, "account %s: %d %s locked until %d was spent at block time %d", addr, l.Amount, l.Asset, l.UnlockAt, h.Time)
		}
	}
}

func (inv *invariants) escrow(h *chain.Header, oldRaw, newRaw []byte, fail func(string, string, ...any)) {
	e := new(chain.Escrow)
	if err := rlp.DecodeBytes(newRaw, e); err != nil {
		fail(RuleEscrowOnce, "escrow does not decode: %v", err)
		return
	}
	if oldRaw != nil {
		old := new(chain.Escrow)
		if err := rlp.DecodeBytes(oldRaw, old); err != nil {
			fail(RuleEscrowOnce, "escrow %s before the block does not decode: %v", e.ID, err)
			return
		}
		if old.Status != chain.EscrowOpen && (e.Status != old.Status || e.EndedHeight != old.EndedHeight || e.Released != old.Released || e.Returned != old.Returned) {
			fail(RuleEscrowOnce, "escrow %s ended %s at height %d and ends again (%s)", e.ID, old.Status, old.EndedHeight, e.Status)
		}
	}
	if e.Status == chain.EscrowOpen {
		if _, ok := inv.open[e.ID]; !ok {
			inv.open[e.ID] = e.Expiry
			heap.Push(&inv.expiries, expiring{e.Expiry, e.ID})
		}
		return
	}
	delete(inv.open, e.ID)
	if e.Released+e.Returned != e.Amount || e.Released > e.Amount {
		fail(RuleEscrowOnce, "escrow %s of %d released %d and returned %d", e.ID, e.Amount, e.Released, e.Returned)
	}
	if e.Status == chain.EscrowExpired && e.Expiry >= h.Time {
		fail(RuleEscrowExpiry, "escrow %s voided at block time %d before its expiry %d", e.ID, h.Time, e.Expiry)
	}
}

type expiring struct {
	expiry uint64
	id     common.Hash
}

type expiryHeap []expiring

func (x expiryHeap) Len() int           { return len(x) }
func (x expiryHeap) Less(i, j int) bool { return x[i].expiry < x[j].expiry }
func (x expiryHeap) Swap(i, j int)      { x[i], x[j] = x[j], x[i] }
func (x *expiryHeap) Push(v any)        { *x = append(*x, v.(expiring)) }
func (x *expiryHeap) Pop() any {
	old := *x
	v := old[len(old)-1]
	*x = old[:len(old)-1]
	return v
}
