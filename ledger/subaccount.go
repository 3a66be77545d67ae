package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Purchase sub-accounts (chain/subaccount.go): their state, the rules of
// their four transactions, and checkSubAccount, which checkPolicy runs on
// every debit.

// SubAccount returns a copy of a sub-account's record; ok false when a is
// no sub-account.
func (s *State) SubAccount(a common.Address) (*chain.SubAccount, bool) {
	sa, ok := load[chain.SubAccount](s, chain.SubAccountKey(a))
	if !ok {
		return nil, false
	}
	c := *sa
	c.Terms.Limits = append([]chain.SubLimit(nil), sa.Terms.Limits...)
	c.Terms.Merchants = append([]common.Address(nil), sa.Terms.Merchants...)
	c.Spent = append([]chain.SubSpent(nil), sa.Spent...)
	return &c, true
}

// SetSubAccount stores a sub-account's record.
func (s *State) SetSubAccount(a common.Address, sa *chain.SubAccount) {
	s.put(chain.SubAccountKey(a), sa)
}

// precheckSubTerms is the precheck of terms: their form and assets.
func precheckSubTerms(st *State, t chain.SubTerms) error {
	if err := t.Validate(); err != nil {
		return err
	}
	for _, l := range t.Limits {
		if err := checkAsset(st, l.Asset); err != nil {
			return err
		}
	}
	return nil
}

// applyCreateSubAccount registers Sub, serviced by Main's bank, as Main's
// purchase sub-account. Sub-accounts do not nest.
func applyCreateSubAccount(st *State, c txContext, b chain.CreateSubAccount) error {
	main, ok := st.Account(b.Main)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "main account %s", b.Main)
	}
	if c.sender != b.Main && c.sender != main.Bank {
		return chain.Reject(chain.ErrNotAuthorized, "only %s or its servicing bank creates its sub-accounts", b.Main)
	}
	if _, nested := st.SubAccount(b.Main); nested {
		return chain.Reject(chain.ErrNotAuthorized, "%s is itself a sub-account", b.Main)
	}
	if st.hasAccount(b.Sub) {
		return chain.Reject(chain.ErrAccountExists, "%s", b.Sub)
	}
	st.SetAccount(b.Sub, &chain.Account{Bank: main.Bank})
	st.SetSubAccount(b.Sub, &chain.SubAccount{Main: b.Main, Terms: b.Terms, Created: st.block.Time})
	st.emit(chain.Event{Kind: chain.EventSubAccountCreated, Record: c.hash, Accounts: []common.Address{b.Sub, b.Main}, Bank: main.Bank})
	return nil
}

// mainOf loads a sub-account that the sender, as its main account or the
// main account's bank, may manage, and is not closed.
func mainOf(st *State, c txContext, sub common.Address) (*chain.SubAccount, *chain.Account, error) {
	sa, ok := st.SubAccount(sub)
	if !ok {
		return nil, nil, chain.Reject(chain.ErrNotSubAccount, "%s", sub)
	}
	main, _ := st.Account(sa.Main)
	if c.sender != sa.Main && c.sender != main.Bank {
		return nil, nil, chain.Reject(chain.ErrNotAuthorized, "only %s or its servicing bank manages sub-account %s", sa.Main, sub)
	}
	if sa.Closed {
		return nil, nil, chain.Reject(chain.ErrSubAccountClosed, "%s", sub)
	}
	return sa, main, nil
}

func applySetSubAccount(st *State, c txContext, b chain.SetSubAccount) error {
	sa, main, err := mainOf(st, c, b.Sub)
	if err != nil {
		return err
	}
	sa.Terms = b.Terms
	st.SetSubAccount(b.Sub, sa)
	st.emit(chain.Event{Kind: chain.EventSubAccountChanged, Record: c.hash, Accounts: []common.Address{b.Sub, sa.Main}, Bank: main.Bank})
	return nil
}

func applyFreezeSubAccount(st *State, c txContext, b chain.FreezeSubAccount) error {
	sa, main, err := mainOf(st, c, b.Sub)
	if err != nil {
		return err
	}
	sa.Frozen = b.Frozen
	st.SetSubAccount(b.Sub, sa)
	st.emit(chain.Event{Kind: chain.EventSubAccountChanged, Record: c.hash, Accounts: []common.Address{b.Sub, sa.Main}, Bank: main.Bank})
	return nil
}

// applyCloseSubAccount closes a sub-account and returns its available
// funds to the main account; escrowed or locked funds must settle first
// (sub_account_busy).
func applyCloseSubAccount(st *State, c txContext, b chain.CloseSubAccount) error {
	sa, main, err := mainOf(st, c, b.Sub)
	if err != nil {
		return err
	}
	sub, _ := st.Account(b.Sub)
	var moved []chain.Event // the returned funds, described as transfers
	for _, bal := range append([]chain.Balance(nil), sub.Balances...) {
		if bal.Held != 0 || bal.Locked != 0 {
			return chain.Reject(chain.ErrSubAccountBusy, "%s holds %d and has %d locked %s", b.Sub, bal.Held, bal.Locked, bal.Asset)
		}
		if err := moveAvailable(sub, main, bal.Asset, bal.Available); err != nil {
			return err
		}
		moved = append(moved, chain.Event{Kind: chain.EventTransfer, Record: c.hash, Accounts: []common.Address{b.Sub, sa.Main}, Asset: bal.Asset, Amount: bal.Available})
	}
	sa.Closed = true
	st.SetAccount(b.Sub, sub)
	st.SetAccount(sa.Main, main)
	st.SetSubAccount(b.Sub, sa)
	for _, ev := range moved {
		st.emit(ev)
	}
	st.emit(chain.Event{Kind: chain.EventSubAccountClosed, Record: c.hash, Accounts: []common.Address{b.Sub, sa.Main}, Bank: main.Bank})
	return nil
}

// checkSubAccount is the sub-account part of checkPolicy: a debit from a
// sub-account must find it open and not frozen, pay a merchant on its list,
// and stay within the running period's limit of its asset.
func checkSubAccount(st *State, sender common.Address, d debit) error {
	sa, ok := st.SubAccount(sender)
	if !ok {
		return nil
	}
	switch {
	case sa.Closed:
		return chain.Reject(chain.ErrSubAccountClosed, "%s", sender)
	case sa.Frozen:
		return chain.Reject(chain.ErrSubAccountFrozen, "%s", sender)
	case !sa.Terms.Allows(d.payee):
		return chain.Reject(chain.ErrMerchantNotAllowed, "%s may not pay %s", sender, d.payee)
	}
	remaining, resetAt, ok := sa.Remaining(d.asset, st.block.Time)
	if !ok {
		return chain.Reject(chain.ErrSubAccountLimit, "%s may not spend %s", sender, d.asset)
	}
	if d.amount > remaining {
		return chain.Reject(chain.ErrSubAccountLimit, "%d %s exceeds the %d left until %d", d.amount, d.asset, remaining, resetAt)
	}
	return nil
}

// noteSubAccountSpend counts a debit that succeeded against the
// sub-account's running period.
func noteSubAccountSpend(st *State, sender common.Address, d debit) {
	sa, ok := st.SubAccount(sender)
	if !ok {
		return
	}
	l, _ := sa.Terms.Limit(d.asset)
	n, _ := sa.Period(l, st.block.Time)
	sa.AddSpent(d.asset, n, d.amount)
	st.SetSubAccount(sender, sa)
}

// SubAccount reads a committed sub-account's record.
func (l *Ledger) SubAccount(a common.Address) (*chain.SubAccount, bool, error) {
	st := l.State()
	sa, ok := st.SubAccount(a)
	return sa, ok, st.Err()
}
