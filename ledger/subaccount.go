package ledger

import (
	"fmt"

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
	if err := authorizeDraw(st, c, b.Main, b.Sub, b.Terms); err != nil {
		return err
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
	if err := authorizeDraw(st, c, sa.Main, b.Sub, b.Terms); err != nil {
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

// authorizeDraw judges terms before a create_sub_account or
// set_sub_account stores them. Terms with the draw funding rule are a
// standing authorization to debit the main account, up to each limit per
// period, with no further signature of the main account's: sent by the
// main account itself, they are judged by its policy as a debit of each
// limit's amount to the sub-account, with the transaction's co-signers
// (docs/adr/0053-sub-account-draw.md). Such an authorization cannot wait
// for a supervisor as a payment does (ADR 0051: a waiting payment is one
// movement of one amount to one payee, and the supervisor approves that,
// not a standing permission), so a limit the main account's supervisor
// must approve needs the supervisor's co-signature here:
// supervisor_approval_required. The bank, which sets the main account's
// policy, authorizes a draw by itself. Co-signatures authorize nothing
// else: on other terms, or from the bank, they are not_authorized.
func authorizeDraw(st *State, c txContext, main, sub common.Address, t chain.SubTerms) error {
	if !t.Draw || c.sender != main {
		if len(c.cosigners) > 0 {
			return chain.Reject(chain.ErrNotAuthorized, "co-signatures on sub-account terms only authorize the main account's draw funding")
		}
		return nil
	}
	mc := txContext{chainID: c.chainID, hash: c.hash, sender: main, cosigners: c.cosigners}
	for _, l := range t.Limits {
		if err := checkPolicy(st, mc, debit{asset: l.Asset, amount: l.Amount, payee: sub}); err != nil {
			return fmt.Errorf("draw of up to %d %s a period from %s: %w", l.Amount, l.Asset, main, err)
		}
	}
	return nil
}

// drawFromMain is the draw funding rule, run after a debit passed
// checkPolicy and before its rule: a purchase from a sub-account with the
// draw rule that its own available balance does not cover takes the rest
// from the main account (insufficient_funds when the main account has not
// got it either). checkSubAccount already held the purchase to the limit,
// which the main account authorized (authorizeDraw). The movement is a
// transfer from the main account to the sub-account (and its event);
// undo puts both accounts and the events back if the purchase's rule then
// fails.
func drawFromMain(st *State, c txContext, d debit) (undo func(), err error) {
	none := func() {}
	sa, ok := st.SubAccount(c.sender)
	if !ok || !sa.Terms.Draw {
		return none, nil
	}
	sub, _ := st.Account(c.sender)
	have := sub.Balance(d.asset).Available
	if have >= d.amount {
		return none, nil
	}
	main, _ := st.Account(sa.Main)
	subBefore, mainBefore, events := sub.Copy(), main.Copy(), len(st.events)
	need := d.amount - have
	if err := moveAvailable(main, sub, d.asset, need); err != nil {
		return nil, fmt.Errorf("draw %d %s from main account %s: %w", need, d.asset, sa.Main, err)
	}
	st.SetAccount(sa.Main, main)
	st.SetAccount(c.sender, sub)
	st.emit(chain.Event{Kind: chain.EventTransfer, Record: c.hash, Accounts: []common.Address{sa.Main, c.sender}, Asset: d.asset, Amount: need})
	return func() {
		st.SetAccount(sa.Main, mainBefore)
		st.SetAccount(c.sender, subBefore)
		st.events = st.events[:events]
	}, nil
}

// Spendable is what a debit from a may take of asset: its available
// balance, and for a sub-account with the draw funding rule what it may
// still draw from its main account within the running period's limit.
// The transaction pool's overdraft check reads it.
func (s *State) Spendable(a common.Address, asset string) uint64 {
	acct, ok := s.Account(a)
	if !ok {
		return 0
	}
	have := acct.Balance(asset).Available
	sa, ok := s.SubAccount(a)
	if !ok || !sa.Terms.Draw || sa.Closed {
		return have
	}
	left, _, ok := sa.Remaining(asset, s.block.Time)
	main, found := s.Account(sa.Main)
	if !ok || !found {
		return have
	}
	draw := min(left, main.Balance(asset).Available)
	if have+draw < have { // cannot overflow: both are balances of one asset's supply
		return have
	}
	return have + draw
}

// SubAccount reads a committed sub-account's record.
func (l *Ledger) SubAccount(a common.Address) (*chain.SubAccount, bool, error) {
	st := l.State()
	sa, ok := st.SubAccount(a)
	return sa, ok, st.Err()
}
