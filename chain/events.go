package chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Event kinds. Receipts carry the events a rule produced; the block's own
// receipt (the last one, with a zero TxHash) carries what the chain did by
// itself at the start of the block (expired escrows). The names are stable.
const (
	EventEscrowOpened      = "escrow_opened"
	EventEscrowReleased    = "escrow_released"
	EventEscrowRefunded    = "escrow_refunded"
	EventEscrowExpired     = "escrow_expired"
	EventWithdrawal        = "withdrawal"
	EventWithdrawalKeySet  = "withdrawal_key_set"
	EventFeedbackMatched   = "feedback_matched"
	EventFeedbackException = "feedback_exception"

	// Derived from a transaction and its receipt for notifications; stored
	// in a receipt only where funds move without a transaction of that
	// type: an approved waiting payment (ApprovedEvent) and the return of
	// a closed sub-account's funds (a transfer).
	EventTransfer   = "transfer"
	EventMint       = "mint"
	EventBurn       = "burn"
	EventRegistered = "account_registered"
	EventRejected   = "tx_rejected"
	// EventEvidence: accepted proof that a validator equivocated. Accounts
	// are the offender then the submitter, At the height it equivocated at,
	// Step the vote type, Ref "height/round".
	EventEvidence = "equivocation_evidence"
)

// Event is one thing that happened to the ledger's records.
type Event struct {
	Kind     string
	Record   common.Hash      // escrow or payout id; zero when none
	Accounts []common.Address // accounts concerned, the primary (payer, withdrawing account) first
	Bank     common.Address   // the bank concerned: servicing bank of the record, or the reporting bank
	Asset    string
	Amount   uint64
	At       uint64 // opened: expiry; released: unlock time of the payee's locked funds
	Step     string // feedback events: the reported kind
	Ref      string // feedback events: the bank's reference
	Reason   string // feedback_exception: why it did not match; tx_rejected: the code
}

// Concerns reports whether the event is about account a (as a party or as
// the bank concerned).
func (e *Event) Concerns(a common.Address) bool {
	if e.Bank == a {
		return true
	}
	for _, x := range e.Accounts {
		if x == a {
			return true
		}
	}
	return false
}

// Notice is a final event with its place in the chain, as subscriptions and
// webhooks deliver it. ID is unique and ordered within the chain:
// "height.position.index", where position is the receipt's index (the
// block's own receipt comes after the transactions).
type Notice struct {
	ID       string
	Height   uint64
	Time     uint64
	Position int
	Index    int
	TxHash   common.Hash // zero for the block's own events
	Event    Event
}

// BlockNotices lists every event of a final block in order: for each
// transaction the event derived from it (transfer, mint, ...; tx_rejected
// when refused) and then the events its receipt carries, then the block's
// own events.
func BlockNotices(b *Block, receipts []*Receipt) []Notice {
	var out []Notice
	add := func(pos, idx int, tx common.Hash, ev Event) {
		out = append(out, Notice{
			ID: fmt.Sprintf("%d.%d.%d", b.Height(), pos, idx), Height: b.Height(), Time: b.Header.Time,
			Position: pos, Index: idx, TxHash: tx, Event: ev,
		})
	}
	for i, r := range receipts {
		if i < len(b.Txs) {
			if ev, ok := derivedEvent(b.Txs[i], r); ok {
				add(i, 0, r.TxHash, ev)
			}
		}
		for j, ev := range r.Events {
			add(i, j+1, r.TxHash, ev)
		}
	}
	return out
}

// derivedEvent describes a transaction that carries no events of its own.
func derivedEvent(tx *Tx, r *Receipt) (Event, bool) {
	sender, err := tx.Sender()
	if err != nil {
		return Event{}, false
	}
	if !r.OK() {
		return Event{Kind: EventRejected, Record: tx.Hash(), Accounts: []common.Address{sender}, Reason: r.Code, Step: tx.Type().String()}, true
	}
	for _, ev := range r.Events {
		if ev.Kind == EventApprovalRequested {
			return Event{}, false // it waits for its supervisor: nothing moved (ApprovedEvent)
		}
	}
	switch b := tx.Body().(type) {
	case Transfer:
		return Event{Kind: EventTransfer, Record: tx.Hash(), Accounts: []common.Address{sender, b.To}, Asset: b.Asset, Amount: b.Amount}, true
	case Mint:
		return Event{Kind: EventMint, Record: tx.Hash(), Accounts: []common.Address{b.To}, Bank: sender, Asset: b.Asset, Amount: b.Amount}, true
	case Burn:
		return Event{Kind: EventBurn, Record: tx.Hash(), Accounts: []common.Address{sender}, Bank: sender, Asset: b.Asset, Amount: b.Amount}, true
	case RegisterAccount:
		return Event{Kind: EventRegistered, Record: tx.Hash(), Accounts: []common.Address{b.Account}, Bank: sender}, true
	case Evidence:
		v := b.A
		return Event{Kind: EventEvidence, Record: tx.Hash(), Accounts: []common.Address{v.Validator, sender}, At: v.Height,
			Step: v.Type.String(), Ref: fmt.Sprintf("%d/%d", v.Height, v.Round)}, true
	case ProposalEvidence:
		p := b.A
		return Event{Kind: EventEvidence, Record: tx.Hash(), Accounts: []common.Address{p.Proposer, sender}, At: p.Height,
			Step: "proposal", Ref: fmt.Sprintf("%d/%d", p.Height, p.Round)}, true
	}
	return Event{}, false
}
