package ledger

import (
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Supervisor approval (chain/approval.go): a debit waiting for its
// account's supervisor, and the supervisor's and the payer's answers.

// Approval returns a copy of a waiting (or decided) payment.
func (s *State) Approval(id common.Hash) (*chain.Approval, bool) {
	a, ok := load[chain.Approval](s, chain.ApprovalKey(id))
	if !ok {
		return nil, false
	}
	c := *a
	return &c, true
}

// SetApproval stores a.
func (s *State) SetApproval(a *chain.Approval) { s.put(chain.ApprovalKey(a.ID), a) }

// awaitApproval records the debit d of the transaction c runs for as
// waiting for the supervisor, instead of running its rule: checkPolicy
// found every credential but the supervisor's. Nothing moves now; the
// supervisor is told by the approval_requested event.
func awaitApproval(st *State, c txContext, d debit) error {
	payer, _ := st.Account(c.sender)
	a := &chain.Approval{
		ID: c.hash, Payer: c.sender, Supervisor: st.Policy(c.sender).Supervisor, Payee: d.payee,
		Asset: d.asset, Amount: d.amount, Deadline: st.block.Time + uint64(chain.ApprovalWindow.Milliseconds()),
		Status: chain.ApprovalAwaiting, Height: st.block.Height, Tx: c.tx.Bytes(),
	}
	st.SetApproval(a)
	st.emit(approvalEvent(a, chain.EventApprovalRequested, payer.Bank))
	return nil
}

// awaitingApproval loads a payment that must still be awaiting approval.
func awaitingApproval(st *State, id common.Hash) (*chain.Approval, error) {
	a, ok := st.Approval(id)
	if !ok {
		return nil, chain.Reject(chain.ErrApprovalNotFound, "%s", id)
	}
	switch s := a.StatusAt(st.block.Time); s {
	case chain.ApprovalAwaiting:
		return a, nil
	case chain.ApprovalLapsed:
		return nil, chain.Reject(chain.ErrApprovalLapsed, "payment %s lapsed at %d", id, a.Deadline)
	default:
		return nil, chain.Reject(chain.ErrApprovalNotPending, "payment %s is %s", id, s)
	}
}

// applyApprovePayment runs the waiting transaction now, as itself (its
// hash, its sender, its co-signers) with the supervisor's approval added,
// through applyBody: every rule and the payer's policy as they stand now.
// If it fails, the approval is rejected with its code and the payment
// keeps waiting.
func applyApprovePayment(st *State, c txContext, ap chain.ApprovePayment) error {
	a, err := awaitingApproval(st, ap.Payment)
	if err != nil {
		return err
	}
	if c.sender != a.Supervisor {
		return chain.Reject(chain.ErrNotAuthorized, "only the supervisor %s approves payment %s", a.Supervisor, a.ID)
	}
	tx, err := chain.DecodeTx(a.Tx)
	if err != nil {
		return err // stored from a valid transaction; cannot happen
	}
	signers, err := tx.Signers()
	if err != nil {
		return err
	}
	waiting := txContext{chainID: c.chainID, hash: tx.Hash(), sender: signers[0],
		cosigners: append(slices.Clone(signers[1:]), c.sender)}
	waiting.cosigner = &waiting.cosigners[0]
	if err := applyBody(st, waiting, tx.Body()); err != nil {
		return err
	}
	if ev, ok := chain.ApprovedEvent(tx); ok {
		st.emit(ev)
	}
	a.Status = chain.ApprovalApproved
	st.SetApproval(a)
	st.emit(approvalEvent(a, chain.EventPaymentApproved, payerBankOf(st, a.Payer)))
	return nil
}

func applyRejectPayment(st *State, c txContext, r chain.RejectPayment) error {
	if !chain.ValidReason(r.Reason) {
		return chain.Reject(chain.ErrMalformed, "reason code %q: 1-%d letters, digits, '_' or '-'", r.Reason, chain.MaxDeclineReason)
	}
	a, err := awaitingApproval(st, r.Payment)
	if err != nil {
		return err
	}
	if c.sender != a.Supervisor {
		return chain.Reject(chain.ErrNotAuthorized, "only the supervisor %s rejects payment %s", a.Supervisor, a.ID)
	}
	a.Status, a.Reason = chain.ApprovalRejected, r.Reason
	st.SetApproval(a)
	ev := approvalEvent(a, chain.EventPaymentRejected, payerBankOf(st, a.Payer))
	ev.Reason = r.Reason
	st.emit(ev)
	return nil
}

func applyRecallPayment(st *State, c txContext, r chain.RecallPayment) error {
	a, err := awaitingApproval(st, r.Payment)
	if err != nil {
		return err
	}
	if c.sender != a.Payer {
		return chain.Reject(chain.ErrNotAuthorized, "only the payer %s recalls payment %s", a.Payer, a.ID)
	}
	a.Status = chain.ApprovalRecalled
	st.SetApproval(a)
	st.emit(approvalEvent(a, chain.EventPaymentRecalled, payerBankOf(st, a.Payer)))
	return nil
}

func approvalEvent(a *chain.Approval, kind string, bank common.Address) chain.Event {
	accounts := []common.Address{a.Payer, a.Supervisor}
	if a.Payee != (common.Address{}) {
		accounts = append(accounts, a.Payee)
	}
	return chain.Event{Kind: kind, Record: a.ID, Accounts: accounts, Bank: bank, Asset: a.Asset, Amount: a.Amount, At: a.Deadline}
}

func payerBankOf(st *State, payer common.Address) common.Address {
	if acct, ok := st.Account(payer); ok {
		return acct.Bank
	}
	return common.Address{}
}

// The index of waiting payments by account, beside the request indexes;
// like them, not state.
const kApprovalByAccount = 'V' // role ('p' payer, 's' supervisor) ‖ account ‖ height ‖ payment id → nil

const roleSupervisor = 's'

func approvalAccountKey(role byte, a common.Address, height uint64, id common.Hash) []byte {
	return partyIndexKey(kApprovalByAccount, role, a, height, id)
}

// indexApprovals lists the payer and supervisor index entries of the
// payments a block makes wait.
func indexApprovals(b *chain.Block, receipts []*chain.Receipt) []Change {
	return indexParties(b, receipts, chain.EventApprovalRequested, kApprovalByAccount, rolePayer, roleSupervisor)
}

// ApprovalQuery selects waiting (or decided) payments (chain.ApprovalQuery).
type ApprovalQuery = chain.ApprovalQuery

// Approval reads a committed waiting payment.
func (l *Ledger) Approval(id common.Hash) (*chain.Approval, bool, error) {
	st := l.State()
	a, ok := st.Approval(id)
	return a, ok, st.Err()
}

// Policy reads an account's committed policy (the zero policy when none).
func (l *Ledger) Policy(a common.Address) (*chain.Policy, error) {
	st := l.State()
	p := st.Policy(a)
	return p, st.Err()
}

// Approvals lists the payments of q.Payer or for q.Supervisor, newest
// first: pending approvals are Status ApprovalAwaiting.
func (l *Ledger) Approvals(q ApprovalQuery) ([]*chain.Approval, error) {
	var role byte
	var who common.Address
	switch {
	case (q.Payer == nil) == (q.Supervisor == nil):
		return nil, fmt.Errorf("list approvals by exactly one of payer and supervisor")
	case q.Payer != nil:
		role, who = rolePayer, *q.Payer
	default:
		role, who = roleSupervisor, *q.Supervisor
	}
	st := l.State()
	now := st.block.Time
	return listByParty(l, st, kApprovalByAccount, role, who, q.Limit, "approval", st.Approval,
		func(a *chain.Approval) bool { return q.Status == 0 || a.StatusAt(now) == q.Status })
}
