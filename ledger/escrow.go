package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Escrow returns a copy of an escrow, safe to change.
func (s *State) Escrow(id common.Hash) (*chain.Escrow, bool) {
	e, ok := load[chain.Escrow](s, chain.EscrowKey(id))
	if !ok {
		return nil, false
	}
	return e.Copy(), true
}

// SetEscrow stores e.
func (s *State) SetEscrow(e *chain.Escrow) { s.put(chain.EscrowKey(e.ID), e) }

// ms converts a parameter duration to block-time milliseconds.
func ms(d chain.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d.Std().Milliseconds())
}

// debitAvailable takes amount from the account's available balance of
// asset. When the available balance falls short but locked funds would
// cover it, the refusal says so: those funds are inside their protection
// period.
func debitAvailable(acct *chain.Account, asset string, amount uint64) (chain.Balance, error) {
	b := acct.Balance(asset)
	if b.Available < amount {
		if amount-b.Available <= b.Locked {
			return b, chain.Reject(chain.ErrProtectionPeriod, "available %d, need %d %s; %d is locked in its protection period", b.Available, amount, asset, b.Locked)
		}
		return b, chain.Reject(chain.ErrInsufficientFunds, "available %d, need %d %s", b.Available, amount, asset)
	}
	b.Available -= amount
	return b, nil
}

func applyHold(st *State, c txContext, h chain.Hold) error {
	if !st.hasAccount(h.Payee) {
		return chain.Reject(chain.ErrUnknownAccount, "payee %s", h.Payee)
	}
	if h.Arbiter != (common.Address{}) {
		if h.Arbiter == c.sender || h.Arbiter == h.Payee {
			return chain.Reject(chain.ErrBadArbiter, "the arbiter must be a third party")
		}
		if !st.hasAccount(h.Arbiter) {
			return chain.Reject(chain.ErrUnknownAccount, "arbiter %s", h.Arbiter)
		}
	}
	now := st.block.Time
	if h.Expiry <= now || h.Expiry-now > uint64(chain.MaxEscrowLifetime.Milliseconds()) {
		return chain.Reject(chain.ErrBadExpiry, "expiry %d must be after block time %d and within %s of it", h.Expiry, now, chain.MaxEscrowLifetime)
	}
	if _, exists := st.Escrow(c.hash); exists {
		return chain.Reject(chain.ErrMalformed, "escrow %s exists", c.hash) // a tx hash is unique; cannot happen
	}
	payer, _ := st.Account(c.sender)
	bal, err := debitAvailable(payer, h.Asset, h.Amount)
	if err != nil {
		return err
	}
	if bal.Held, err = addAmount(bal.Held, h.Amount); err != nil {
		return err
	}
	payer.SetBalance(bal)
	e := &chain.Escrow{
		ID: c.hash, Payer: c.sender, Payee: h.Payee, Arbiter: h.Arbiter, Asset: h.Asset, Amount: h.Amount,
		Expiry: h.Expiry, Status: chain.EscrowOpen, OpenedHeight: st.block.Height, OpenedAt: now,
		Track: chain.BankTrack{Bank: payer.Bank},
	}
	e.Track.Expect(chain.FeedbackHoldPlaced, h.Amount, now+ms(st.block.Params.FeedbackDeadline))
	st.SetAccount(c.sender, payer)
	st.SetEscrow(e)
	st.emit(chain.Event{Kind: chain.EventEscrowOpened, Record: e.ID, Accounts: e.Parties(), Bank: payer.Bank, Asset: e.Asset, Amount: e.Amount, At: e.Expiry})
	return nil
}

// openEscrow loads an escrow that must still be open.
func openEscrow(st *State, id common.Hash) (*chain.Escrow, error) {
	e, ok := st.Escrow(id)
	if !ok {
		return nil, chain.Reject(chain.ErrEscrowNotFound, "%s", id)
	}
	if e.Status != chain.EscrowOpen {
		return nil, chain.Reject(chain.ErrEscrowNotOpen, "escrow %s is %s", id, e.Status)
	}
	if e.Expiry < st.block.Time {
		// Past its expiry but not yet voided: the per-block cap carried it
		// over. It is as good as expired; nothing may release or refund it.
		return nil, chain.Reject(chain.ErrEscrowNotOpen, "escrow %s expired at %d and awaits voiding", id, e.Expiry)
	}
	return e, nil
}

// unhold takes an escrow's whole amount off the payer's held balance and
// returns back of it to the payer's available balance.
func unhold(payer *chain.Account, e *chain.Escrow, back uint64) error {
	b := payer.Balance(e.Asset)
	if b.Held < e.Amount {
		return fmt.Errorf("escrow %s: payer holds %d %s, escrow %d", e.ID, b.Held, e.Asset, e.Amount) // broken invariant
	}
	b.Held -= e.Amount
	var err error
	if b.Available, err = addAmount(b.Available, back); err != nil {
		return err
	}
	payer.SetBalance(b)
	return nil
}

func applyRelease(st *State, c txContext, r chain.Release) error {
	e, err := openEscrow(st, r.Escrow)
	if err != nil {
		return err
	}
	if c.sender != e.Payer && (e.Arbiter == (common.Address{}) || c.sender != e.Arbiter) {
		return chain.Reject(chain.ErrNotAuthorized, "only the payer or the arbiter releases escrow %s", e.ID)
	}
	amount := r.Amount
	if amount == 0 {
		amount = e.Amount
	}
	if amount > e.Amount {
		return chain.Reject(chain.ErrAmountExceedsHold, "release %d, escrow holds %d %s", amount, e.Amount, e.Asset)
	}
	if st.block.Params.RequireHoldFeedback && !e.Track.HasMatched(chain.FeedbackHoldPlaced) {
		return chain.Reject(chain.ErrHoldFeedbackRequired, "the payer's bank has not confirmed the hold of escrow %s", e.ID)
	}
	payer, _ := st.Account(e.Payer)
	payee, ok := st.Account(e.Payee)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "payee %s", e.Payee)
	}
	if err := unhold(payer, e, e.Amount-amount); err != nil {
		return err
	}
	now := st.block.Time
	unlock := chain.UnlockTime(now, ms(st.block.Params.ProtectionPeriod))
	pb := payee.Balance(e.Asset)
	if pb.Locked, err = addAmount(pb.Locked, amount); err != nil {
		return err
	}
	payee.SetBalance(pb)
	payee.AddLock(e.Asset, amount, unlock)
	payee.Mature(now) // a zero protection period unlocks at once
	due := now + ms(st.block.Params.FeedbackDeadline)
	e.Track.Expect(chain.FeedbackDebitExecuted, amount, due)
	if back := e.Amount - amount; back > 0 {
		e.Track.Expect(chain.FeedbackHoldReleased, back, due)
	}
	endEscrow(st, e, chain.EscrowReleased)
	e.Released, e.Returned, e.UnlockAt = amount, e.Amount-amount, unlock
	st.SetAccount(e.Payer, payer)
	st.SetAccount(e.Payee, payee)
	st.SetEscrow(e)
	st.emit(chain.Event{Kind: chain.EventEscrowReleased, Record: e.ID, Accounts: e.Parties(), Bank: e.Track.Bank, Asset: e.Asset, Amount: amount, At: unlock})
	return nil
}

func applyRefund(st *State, c txContext, r chain.Refund) error {
	e, err := openEscrow(st, r.Escrow)
	if err != nil {
		return err
	}
	if c.sender != e.Payee && (e.Arbiter == (common.Address{}) || c.sender != e.Arbiter) {
		return chain.Reject(chain.ErrNotAuthorized, "only the payee or the arbiter refunds escrow %s", e.ID)
	}
	payer, _ := st.Account(e.Payer)
	if err := unhold(payer, e, e.Amount); err != nil {
		return err
	}
	e.Track.Expect(chain.FeedbackRefundExecuted, e.Amount, st.block.Time+ms(st.block.Params.FeedbackDeadline))
	endEscrow(st, e, chain.EscrowRefunded)
	e.Returned = e.Amount
	st.SetAccount(e.Payer, payer)
	st.SetEscrow(e)
	st.emit(chain.Event{Kind: chain.EventEscrowRefunded, Record: e.ID, Accounts: e.Parties(), Bank: e.Track.Bank, Asset: e.Asset, Amount: e.Amount})
	return nil
}

// endEscrow closes an open escrow (the caller has checked it is open); the
// expiry index drops it when the block commits.
func endEscrow(st *State, e *chain.Escrow, status chain.EscrowStatus) {
	e.Status, e.EndedHeight, e.EndedAt = status, st.block.Height, st.block.Time
}

// expireEscrows voids the open escrows whose expiry the block's time has
// passed (expiry < block time): the held amount returns to the payer. The
// chain does this itself at the start of the block, before any
// transaction. At most Params.ExpiriesPerBlock are voided per block, the
// earliest first (expiry, then id: the expiry index's order); the rest are
// carried over to the next blocks, and until then openEscrow treats them
// as expired, so a release or refund finds them so either way.
func expireEscrows(st *State, limit int) (int, error) {
	now := st.block.Time
	due := st.dueEscrows(now, limit)
	for _, id := range due {
		e, ok := st.Escrow(id)
		if !ok || e.Status != chain.EscrowOpen {
			return 0, fmt.Errorf("expiry index names escrow %s, which is not open", id)
		}
		payer, ok := st.Account(e.Payer)
		if !ok {
			return 0, fmt.Errorf("escrow %s: payer %s missing", id, e.Payer)
		}
		if err := unhold(payer, e, e.Amount); err != nil {
			return 0, err
		}
		e.Track.Expect(chain.FeedbackHoldReleased, e.Amount, now+ms(st.block.Params.FeedbackDeadline))
		endEscrow(st, e, chain.EscrowExpired)
		e.Returned = e.Amount
		st.SetAccount(e.Payer, payer)
		st.SetEscrow(e)
		st.emit(chain.Event{Kind: chain.EventEscrowExpired, Record: e.ID, Accounts: e.Parties(), Bank: e.Track.Bank, Asset: e.Asset, Amount: e.Amount, At: e.Expiry})
	}
	return len(due), st.Err()
}
