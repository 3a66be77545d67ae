package rpc

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/sovereign-ledger/sovereign/chain"
)

// JSON shapes of escrows, payouts, feedback and events. Times are block
// times in milliseconds since the Unix epoch, with an RFC 3339 twin.

// Event is a ledger event: in a receipt, or delivered by a subscription.
type Event struct {
	Kind        string           `json:"kind"`
	Record      *common.Hash     `json:"record,omitempty"`
	Accounts    []common.Address `json:"accounts"`
	Bank        *common.Address  `json:"bank,omitempty"`
	Asset       string           `json:"asset,omitempty"`
	Amount      string           `json:"amount,omitempty"`
	AmountUnits *uint64          `json:"amount_units,string,omitempty"`
	At          uint64           `json:"at,omitempty"` // opened/expired: expiry; released: the payee's unlock time
	Step        string           `json:"step,omitempty"`
	Ref         string           `json:"ref,omitempty"`
	Reason      string           `json:"reason,omitempty"`
}

// Notice is a final event with its place in the chain (subscriptions and
// webhooks). ID is unique: "height.position.index".
type Notice struct {
	ID     string       `json:"id"`
	Height uint64       `json:"height"`
	Time   uint64       `json:"time"`
	TxHash *common.Hash `json:"tx_hash"` // null for the block's own events
	Event  Event        `json:"event"`
}

// Lock is an amount inside its protection period.
type Lock struct {
	Asset       string `json:"asset"`
	Amount      string `json:"amount"`
	AmountUnits uint64 `json:"amount_units,string"`
	UnlockAt    uint64 `json:"unlock_at"`
	UnlockTime  string `json:"unlock_time"`
}

// Step is one thing a bank is expected to report for a record.
type Step struct {
	Kind        string       `json:"kind"`
	Amount      string       `json:"amount"`
	AmountUnits uint64       `json:"amount_units,string"`
	Due         uint64       `json:"due"`
	DueTime     string       `json:"due_time"`
	Matched     bool         `json:"matched"`
	Ref         string       `json:"ref,omitempty"`
	MatchedAt   uint64       `json:"matched_at,omitempty"`
	MatchedTx   *common.Hash `json:"matched_tx,omitempty"`
}

// Exception is a bank feedback that did not match, kept as evidence.
type Exception struct {
	Tx          common.Hash    `json:"tx"`
	Height      uint64         `json:"height"`
	Time        uint64         `json:"time"`
	Bank        common.Address `json:"bank"`
	Record      common.Hash    `json:"record"`
	Kind        string         `json:"kind"`
	Asset       string         `json:"asset"`
	Amount      string         `json:"amount"`
	AmountUnits uint64         `json:"amount_units,string"`
	Ref         string         `json:"ref"`
	Reason      string         `json:"reason"`
}

// BankTrack is where a record's bank feedback stands.
type BankTrack struct {
	Bank           common.Address `json:"bank"`
	BankStatus     string         `json:"bank_status"` // waiting | matched | mismatch | overdue
	NextStep       *Step          `json:"next_step"`
	Steps          []Step         `json:"steps"`
	Exceptions     []Exception    `json:"exceptions"`
	ExceptionCount uint32         `json:"exception_count"`
}

// Escrow is an escrow record.
type Escrow struct {
	ID            common.Hash     `json:"id"`
	Status        string          `json:"status"` // open | released | refunded | expired
	Payer         common.Address  `json:"payer"`
	Payee         common.Address  `json:"payee"`
	Arbiter       *common.Address `json:"arbiter"`
	Asset         string          `json:"asset"`
	Amount        string          `json:"amount"`
	AmountUnits   uint64          `json:"amount_units,string"`
	Expiry        uint64          `json:"expiry"`
	ExpiryTime    string          `json:"expiry_time"`
	OpenedHeight  uint64          `json:"opened_height"`
	OpenedAt      uint64          `json:"opened_at"`
	EndedHeight   *uint64         `json:"ended_height"`
	EndedAt       *uint64         `json:"ended_at"`
	Released      string          `json:"released"`
	ReleasedUnits uint64          `json:"released_units,string"`
	Returned      string          `json:"returned"`
	ReturnedUnits uint64          `json:"returned_units,string"`
	UnlockAt      *uint64         `json:"unlock_at"`
	EndToEndID    string          `json:"end_to_end_id"` // the reference the bank's payment instruction carries (camt.054 EndToEndId)
	BankTrack
}

// Payout is a withdrawal waiting for, or paid by, the account's bank.
type Payout struct {
	ID          common.Hash    `json:"id"`
	Account     common.Address `json:"account"`
	Asset       string         `json:"asset"`
	Amount      string         `json:"amount"`
	AmountUnits uint64         `json:"amount_units,string"`
	Details     hexutil.Bytes  `json:"details"` // ECIES ciphertext to the bank's key
	Height      uint64         `json:"height"`
	Time        uint64         `json:"time"`
	EndToEndID  string         `json:"end_to_end_id"` // the reference the bank's payment instruction carries (camt.054 EndToEndId)
	BankTrack
}

// ReconRecord is one record in a reconciliation report.
type ReconRecord struct {
	Kind       string      `json:"kind"` // escrow | payout | exception (a feedback naming no record)
	ID         common.Hash `json:"id"`
	Height     uint64      `json:"height"`
	BankStatus string      `json:"bank_status"`
	Escrow     *Escrow     `json:"escrow,omitempty"`
	Payout     *Payout     `json:"payout,omitempty"`
	Exception  *Exception  `json:"exception,omitempty"`
}

// Reconciliation is a bank's records of a block range by feedback status.
type Reconciliation struct {
	Bank       common.Address `json:"bank"`
	From       uint64         `json:"from"`
	To         uint64         `json:"to"`
	Height     uint64         `json:"height"` // the head it was computed at
	Time       uint64         `json:"time"`   // the head's block time: overdue is judged against it
	Counts     map[string]int `json:"counts"`
	Matched    []ReconRecord  `json:"matched"`
	Waiting    []ReconRecord  `json:"waiting"`
	Overdue    []ReconRecord  `json:"overdue"`
	Mismatched []ReconRecord  `json:"mismatched"`
}

// Bank is a member bank.
type Bank struct {
	Address common.Address `json:"address"`
	Name    string         `json:"name"`
	PubKey  hexutil.Bytes  `json:"pubkey"` // null until known
}

func msTime(t uint64) string { return time.UnixMilli(int64(t)).UTC().Format(time.RFC3339Nano) }

func (as assets) event(e chain.Event) Event {
	out := Event{Kind: e.Kind, Accounts: e.Accounts, At: e.At, Step: e.Step, Ref: e.Ref, Reason: e.Reason, Asset: e.Asset}
	if out.Accounts == nil {
		out.Accounts = []common.Address{}
	}
	if e.Record != (common.Hash{}) {
		r := e.Record
		out.Record = &r
	}
	if e.Bank != (common.Address{}) {
		b := e.Bank
		out.Bank = &b
	}
	if e.Asset != "" {
		v := e.Amount
		out.Amount, out.AmountUnits = as.format(e.Asset, v), &v
	}
	return out
}

func (as assets) notice(n chain.Notice) Notice {
	out := Notice{ID: n.ID, Height: n.Height, Time: n.Time, Event: as.event(n.Event)}
	if n.TxHash != (common.Hash{}) {
		h := n.TxHash
		out.TxHash = &h
	}
	return out
}

func (as assets) step(asset string, s chain.Step, matched bool) Step {
	out := Step{Kind: s.Kind.String(), Amount: as.format(asset, s.Amount), AmountUnits: s.Amount, Due: s.Due, DueTime: msTime(s.Due), Matched: matched}
	if matched {
		h := s.MatchedTx
		out.Ref, out.MatchedAt, out.MatchedTx = s.Ref, s.MatchedAt, &h
	}
	return out
}

func (as assets) exception(e chain.Exception) Exception {
	return Exception{Tx: e.Tx, Height: e.Height, Time: e.Time, Bank: e.Bank, Record: e.Record, Kind: e.Kind.String(),
		Asset: e.Asset, Amount: as.format(e.Asset, e.Amount), AmountUnits: e.Amount, Ref: e.Ref, Reason: e.Reason}
}

func (as assets) track(asset string, t *chain.BankTrack, now uint64) BankTrack {
	out := BankTrack{Bank: t.Bank, BankStatus: t.Status(now), Steps: []Step{}, Exceptions: []Exception{}, ExceptionCount: t.ExceptionCount}
	for i, s := range t.Steps {
		out.Steps = append(out.Steps, as.step(asset, s, i < int(t.Matched)))
	}
	if next, ok := t.Next(); ok {
		s := as.step(asset, next, false)
		out.NextStep = &s
	}
	for _, e := range t.Exceptions {
		out.Exceptions = append(out.Exceptions, as.exception(e))
	}
	return out
}

func (as assets) escrow(e *chain.Escrow, now uint64) Escrow {
	out := Escrow{
		ID: e.ID, Status: e.Status.String(), Payer: e.Payer, Payee: e.Payee, Asset: e.Asset,
		Amount: as.format(e.Asset, e.Amount), AmountUnits: e.Amount, Expiry: e.Expiry, ExpiryTime: msTime(e.Expiry),
		OpenedHeight: e.OpenedHeight, OpenedAt: e.OpenedAt,
		Released: as.format(e.Asset, e.Released), ReleasedUnits: e.Released,
		Returned: as.format(e.Asset, e.Returned), ReturnedUnits: e.Returned,
		BankTrack: as.track(e.Asset, &e.Track, now), EndToEndID: chain.EscrowEndToEndID(e.ID),
	}
	if e.Arbiter != (common.Address{}) {
		a := e.Arbiter
		out.Arbiter = &a
	}
	if e.Status != chain.EscrowOpen {
		h, t := e.EndedHeight, e.EndedAt
		out.EndedHeight, out.EndedAt = &h, &t
	}
	if e.Status == chain.EscrowReleased {
		u := e.UnlockAt
		out.UnlockAt = &u
	}
	return out
}

func (as assets) payout(p *chain.Payout, now uint64) Payout {
	return Payout{ID: p.ID, Account: p.Account, Asset: p.Asset, Amount: as.format(p.Asset, p.Amount), AmountUnits: p.Amount,
		Details: p.Details, Height: p.Height, Time: p.Time, BankTrack: as.track(p.Asset, &p.Track, now), EndToEndID: chain.PayoutEndToEndID(p.ID)}
}

func (as assets) reconRecord(r chain.BankRecord, now uint64) ReconRecord {
	out := ReconRecord{Height: r.Height, BankStatus: r.Status(now)}
	switch {
	case r.Escrow != nil:
		e := as.escrow(r.Escrow, now)
		out.Kind, out.ID, out.Escrow = "escrow", e.ID, &e
	case r.Payout != nil:
		p := as.payout(r.Payout, now)
		out.Kind, out.ID, out.Payout = "payout", p.ID, &p
	case r.Exception != nil:
		x := as.exception(*r.Exception)
		out.Kind, out.ID, out.Exception = "exception", x.Tx, &x
	}
	return out
}

func (as assets) reconciliation(r *chain.Reconciliation) *Reconciliation {
	out := &Reconciliation{Bank: r.Bank, From: r.From, To: r.To, Height: r.Height, Time: r.Time,
		Matched: []ReconRecord{}, Waiting: []ReconRecord{}, Overdue: []ReconRecord{}, Mismatched: []ReconRecord{}}
	for _, part := range []struct {
		in  []chain.BankRecord
		out *[]ReconRecord
	}{{r.Matched, &out.Matched}, {r.Waiting, &out.Waiting}, {r.Overdue, &out.Overdue}, {r.Mismatched, &out.Mismatched}} {
		for _, rec := range part.in {
			*part.out = append(*part.out, as.reconRecord(rec, r.Time))
		}
	}
	out.Counts = map[string]int{"matched": len(out.Matched), "waiting": len(out.Waiting), "overdue": len(out.Overdue), "mismatched": len(out.Mismatched)}
	return out
}

// RenderNotice is n as subscriptions and webhooks deliver it, with amounts
// in g's asset units.
func RenderNotice(g *chain.Genesis, n chain.Notice) Notice { return assetsOf(g).notice(n) }
