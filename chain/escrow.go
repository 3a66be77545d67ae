package chain

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// EscrowStatus is where an escrow is in its life (docs/ESCROW.md). Open is
// the only state that is not final: an escrow ends exactly once.
type EscrowStatus uint8

const (
	EscrowOpen     EscrowStatus = 1
	EscrowReleased EscrowStatus = 2
	EscrowRefunded EscrowStatus = 3
	EscrowExpired  EscrowStatus = 4
)

var escrowStatusNames = map[EscrowStatus]string{
	EscrowOpen: "open", EscrowReleased: "released", EscrowRefunded: "refunded", EscrowExpired: "expired",
}

func (s EscrowStatus) String() string {
	if n, ok := escrowStatusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status_%d", uint8(s))
}

// ParseEscrowStatus is the inverse of String.
func ParseEscrowStatus(name string) (EscrowStatus, bool) {
	for s, n := range escrowStatusNames {
		if n == name {
			return s, true
		}
	}
	return 0, false
}

// MaxEscrowLifetime bounds how far past the hold's block an expiry may be.
const MaxEscrowLifetime = 366 * 24 * time.Hour

// Escrow is a hold and what became of it. Its id is the hash of the hold
// transaction (the record number).
type Escrow struct {
	ID      common.Hash
	Payer   common.Address
	Payee   common.Address
	Arbiter common.Address // zero: none
	Asset   string
	Amount  uint64 // held
	Expiry  uint64 // block time (ms) after which the chain voids it
	Status  EscrowStatus

	OpenedHeight uint64
	OpenedAt     uint64 // block time, ms
	EndedHeight  uint64 // 0 while open
	EndedAt      uint64
	Released     uint64 // went to the payee's locked balance
	Returned     uint64 // went back to the payer's available balance
	UnlockAt     uint64 // when the released part becomes available to the payee

	Track BankTrack // the payer's bank's feedback
}

// Copy returns a deep copy.
func (e *Escrow) Copy() *Escrow {
	c := *e
	c.Track = e.Track.copy()
	return &c
}

// EscrowKey is the state key of an escrow.
func EscrowKey(id common.Hash) []byte { return append([]byte{prefixEscrow}, id[:]...) }

// Escrow returns a copy of an escrow, safe to change.
func (s *State) Escrow(id common.Hash) (*Escrow, bool) {
	e, ok := load[Escrow](s, EscrowKey(id))
	if !ok {
		return nil, false
	}
	return e.Copy(), true
}

// SetEscrow stores e.
func (s *State) SetEscrow(e *Escrow) { s.put(EscrowKey(e.ID), e) }

// ms converts a parameter duration to block-time milliseconds.
func ms(d Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d.Std().Milliseconds())
}

// debitAvailable takes amount from the account's available balance of
// asset. When the available balance falls short but locked funds would
// cover it, the refusal says so: those funds are inside their protection
// period.
func debitAvailable(acct *Account, asset string, amount uint64) (Balance, error) {
	b := acct.Balance(asset)
	if b.Available < amount {
		if amount-b.Available <= b.Locked {
			return b, reject(ErrProtectionPeriod, "available %d, need %d %s; %d is locked in its protection period", b.Available, amount, asset, b.Locked)
		}
		return b, reject(ErrInsufficientFunds, "available %d, need %d %s", b.Available, amount, asset)
	}
	b.Available -= amount
	return b, nil
}

func applyHold(st *State, c txContext, h Hold) error {
	if h.Amount == 0 {
		return ErrZeroAmount
	}
	if _, ok := st.Asset(h.Asset); !ok {
		return reject(ErrUnknownAsset, "%q", h.Asset)
	}
	if h.Payee == c.sender {
		return reject(ErrSelfTransfer, "payee is the payer")
	}
	if !st.hasAccount(h.Payee) {
		return reject(ErrUnknownAccount, "payee %s", h.Payee)
	}
	if h.Arbiter != (common.Address{}) {
		if h.Arbiter == c.sender || h.Arbiter == h.Payee {
			return reject(ErrBadArbiter, "the arbiter must be a third party")
		}
		if !st.hasAccount(h.Arbiter) {
			return reject(ErrUnknownAccount, "arbiter %s", h.Arbiter)
		}
	}
	now := st.block.Time
	if h.Expiry <= now || h.Expiry-now > uint64(MaxEscrowLifetime.Milliseconds()) {
		return reject(ErrBadExpiry, "expiry %d must be after block time %d and within %s of it", h.Expiry, now, MaxEscrowLifetime)
	}
	if _, exists := st.Escrow(c.hash); exists {
		return reject(ErrMalformed, "escrow %s exists", c.hash) // a tx hash is unique; cannot happen
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
	e := &Escrow{
		ID: c.hash, Payer: c.sender, Payee: h.Payee, Arbiter: h.Arbiter, Asset: h.Asset, Amount: h.Amount,
		Expiry: h.Expiry, Status: EscrowOpen, OpenedHeight: st.block.Height, OpenedAt: now,
		Track: BankTrack{Bank: payer.Bank},
	}
	e.Track.expect(FeedbackHoldPlaced, h.Amount, now+ms(st.block.Params.FeedbackDeadline))
	st.SetAccount(c.sender, payer)
	st.SetEscrow(e)
	st.emit(Event{Kind: EventEscrowOpened, Record: e.ID, Accounts: e.parties(), Bank: payer.Bank, Asset: e.Asset, Amount: e.Amount, At: e.Expiry})
	return nil
}

// parties are the accounts an escrow concerns: payer, payee, arbiter.
func (e *Escrow) parties() []common.Address {
	out := []common.Address{e.Payer, e.Payee}
	if e.Arbiter != (common.Address{}) {
		out = append(out, e.Arbiter)
	}
	return out
}

// openEscrow loads an escrow that must still be open.
func openEscrow(st *State, id common.Hash) (*Escrow, error) {
	e, ok := st.Escrow(id)
	if !ok {
		return nil, reject(ErrEscrowNotFound, "%s", id)
	}
	if e.Status != EscrowOpen {
		return nil, reject(ErrEscrowNotOpen, "escrow %s is %s", id, e.Status)
	}
	return e, nil
}

// unhold takes an escrow's whole amount off the payer's held balance and
// returns back of it to the payer's available balance.
func unhold(payer *Account, e *Escrow, back uint64) error {
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

func applyRelease(st *State, c txContext, r Release) error {
	e, err := openEscrow(st, r.Escrow)
	if err != nil {
		return err
	}
	if c.sender != e.Payer && (e.Arbiter == (common.Address{}) || c.sender != e.Arbiter) {
		return reject(ErrNotAuthorized, "only the payer or the arbiter releases escrow %s", e.ID)
	}
	amount := r.Amount
	if amount == 0 {
		amount = e.Amount
	}
	if amount > e.Amount {
		return reject(ErrAmountExceedsHold, "release %d, escrow holds %d %s", amount, e.Amount, e.Asset)
	}
	if st.block.Params.RequireHoldFeedback && !e.Track.matched(FeedbackHoldPlaced) {
		return reject(ErrHoldFeedbackRequired, "the payer's bank has not confirmed the hold of escrow %s", e.ID)
	}
	payer, _ := st.Account(e.Payer)
	payee, ok := st.Account(e.Payee)
	if !ok {
		return reject(ErrUnknownAccount, "payee %s", e.Payee)
	}
	if err := unhold(payer, e, e.Amount-amount); err != nil {
		return err
	}
	now := st.block.Time
	unlock := unlockTime(now, ms(st.block.Params.ProtectionPeriod))
	pb := payee.Balance(e.Asset)
	if pb.Locked, err = addAmount(pb.Locked, amount); err != nil {
		return err
	}
	payee.SetBalance(pb)
	payee.addLock(e.Asset, amount, unlock)
	payee.mature(now) // a zero protection period unlocks at once
	due := now + ms(st.block.Params.FeedbackDeadline)
	e.Track.expect(FeedbackDebitExecuted, amount, due)
	if back := e.Amount - amount; back > 0 {
		e.Track.expect(FeedbackHoldReleased, back, due)
	}
	e.end(st, EscrowReleased)
	e.Released, e.Returned, e.UnlockAt = amount, e.Amount-amount, unlock
	st.SetAccount(e.Payer, payer)
	st.SetAccount(e.Payee, payee)
	st.SetEscrow(e)
	st.emit(Event{Kind: EventEscrowReleased, Record: e.ID, Accounts: e.parties(), Bank: e.Track.Bank, Asset: e.Asset, Amount: amount, At: unlock})
	return nil
}

func applyRefund(st *State, c txContext, r Refund) error {
	e, err := openEscrow(st, r.Escrow)
	if err != nil {
		return err
	}
	if c.sender != e.Payee && (e.Arbiter == (common.Address{}) || c.sender != e.Arbiter) {
		return reject(ErrNotAuthorized, "only the payee or the arbiter refunds escrow %s", e.ID)
	}
	payer, _ := st.Account(e.Payer)
	if err := unhold(payer, e, e.Amount); err != nil {
		return err
	}
	e.Track.expect(FeedbackRefundExecuted, e.Amount, st.block.Time+ms(st.block.Params.FeedbackDeadline))
	e.end(st, EscrowRefunded)
	e.Returned = e.Amount
	st.SetAccount(e.Payer, payer)
	st.SetEscrow(e)
	st.emit(Event{Kind: EventEscrowRefunded, Record: e.ID, Accounts: e.parties(), Bank: e.Track.Bank, Asset: e.Asset, Amount: e.Amount})
	return nil
}

// end closes an open escrow (the caller has checked it is open); the
// expiry index drops it when the block commits.
func (e *Escrow) end(st *State, status EscrowStatus) {
	e.Status, e.EndedHeight, e.EndedAt = status, st.block.Height, st.block.Time
}

// expireEscrows voids every open escrow whose expiry the block's time has
// passed (expiry < block time): the held amount returns to the payer. The
// chain does this itself at the start of the block, before any
// transaction, so a release or refund in the same block finds it expired.
func expireEscrows(st *State) error {
	now := st.block.Time
	for _, id := range st.dueEscrows(now) {
		e, ok := st.Escrow(id)
		if !ok || e.Status != EscrowOpen {
			return fmt.Errorf("expiry index names escrow %s, which is not open", id)
		}
		payer, ok := st.Account(e.Payer)
		if !ok {
			return fmt.Errorf("escrow %s: payer %s missing", id, e.Payer)
		}
		if err := unhold(payer, e, e.Amount); err != nil {
			return err
		}
		e.Track.expect(FeedbackHoldReleased, e.Amount, now+ms(st.block.Params.FeedbackDeadline))
		e.end(st, EscrowExpired)
		e.Returned = e.Amount
		st.SetAccount(e.Payer, payer)
		st.SetEscrow(e)
		st.emit(Event{Kind: EventEscrowExpired, Record: e.ID, Accounts: e.parties(), Bank: e.Track.Bank, Asset: e.Asset, Amount: e.Amount, At: e.Expiry})
	}
	return st.Err()
}
