package wallet

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/camt"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// Importing a bank's camt.054 notifications as ledger feedback
// (docs/PAYMENTS.md, docs/adr/0043-camt054-import.md). Every entry is
// matched to the record its end-to-end id names and mapped by its
// credit/debit indicator and status:
//   - debit PDNG on an escrow waiting for hold_placed → hold_placed;
//   - debit BOOK on an escrow → debit_executed (it matches once the escrow
//     was released; otherwise the chain flags the mismatch);
//   - credit BOOK on an escrow → refund_executed if it was refunded, else
//     hold_released (the part of a hold that returned to the payer);
//   - debit BOOK on a payout → payout_executed;
//   - a reversal (RvslInd) → reversal, which the chain records as a mismatch;
//   - any other pending or information entry → reported, not submitted;
//   - an entry whose bank reference the record already carries (matched or
//     as an exception), or that appeared earlier in the file → skipped;
//   - an entry naming no record of this bank → listed as unmatched.

// Outcomes of an imported entry.
const (
	ImportSubmitted = "submitted"
	ImportSkipped   = "skipped"
	ImportPending   = "pending"
	ImportUnmatched = "unmatched"
)

// ImportEntry is one camt.054 transaction and what the import did with it.
type ImportEntry struct {
	Where       string       `json:"where"`
	EndToEndID  string       `json:"end_to_end_id"`
	BankRef     string       `json:"bank_ref"`
	CreditDebit string       `json:"credit_debit"`
	Status      string       `json:"status"`
	Reversal    bool         `json:"reversal,omitempty"`
	Amount      string       `json:"amount"`
	Currency    string       `json:"currency"`
	Record      *common.Hash `json:"record,omitempty"`      // the escrow or payout named
	RecordKind  string       `json:"record_kind,omitempty"` // escrow | payout
	Kind        string       `json:"kind,omitempty"`        // the feedback kind submitted
	Tx          *common.Hash `json:"tx,omitempty"`          // the feedback transaction
	Code        string       `json:"code,omitempty"`        // its rejection code, once known
	Reason      string       `json:"reason,omitempty"`      // why skipped, pending or unmatched
}

// ImportReport is what an import did, by outcome.
type ImportReport struct {
	Version   string                   `json:"version"`
	MessageID string                   `json:"message_id"`
	DryRun    bool                     `json:"dry_run"`
	Submitted int                      `json:"submitted"`
	Skipped   int                      `json:"skipped"`
	Pending   int                      `json:"pending"`
	Unmatched int                      `json:"unmatched"`
	Entries   map[string][]ImportEntry `json:"entries"` // by outcome
}

// plannedFeedback is a feedback to submit and the entry it reports.
type plannedFeedback struct {
	body  chain.Feedback
	entry int // index into the report's submitted entries
}

// PlanImport maps a parsed notification to feedback, given what each
// end-to-end id names (matches, by reference as given) and the chain's
// assets' decimals. It is pure: the same file and chain state give the
// same plan.
func PlanImport(n *camt.Notification, matches map[string]rpc.RecordMatch, decimals map[string]uint8) (*ImportReport, []chain.Feedback) {
	rep := &ImportReport{Version: n.Version, MessageID: n.MessageID, Entries: map[string][]ImportEntry{
		ImportSubmitted: {}, ImportSkipped: {}, ImportPending: {}, ImportUnmatched: {},
	}}
	var out []chain.Feedback
	seen := map[string]bool{}
	add := func(outcome string, e ImportEntry) { rep.Entries[outcome] = append(rep.Entries[outcome], e) }
	for _, it := range n.Items {
		e := ImportEntry{Where: it.Where(), EndToEndID: it.EndToEndID, BankRef: it.BankRef, CreditDebit: it.CreditDebit,
			Status: it.Status, Reversal: it.Reversal, Amount: it.Amount, Currency: it.Currency}
		m, found := matches[it.EndToEndID]
		switch {
		case it.EndToEndID == "":
			e.Reason = "no end-to-end id"
			add(ImportUnmatched, e)
			continue
		case !found || (m.Escrow == nil && m.Payout == nil):
			e.Reason = "names no record of this bank"
			if found && m.Error != "" {
				e.Reason = m.Error
			}
			add(ImportUnmatched, e)
			continue
		}
		var track *rpc.BankTrack
		var asset string
		if m.Escrow != nil {
			id := m.Escrow.ID
			e.Record, e.RecordKind, track, asset = &id, "escrow", &m.Escrow.BankTrack, m.Escrow.Asset
		} else {
			id := m.Payout.ID
			e.Record, e.RecordKind, track, asset = &id, "payout", &m.Payout.BankTrack, m.Payout.Asset
		}
		d, known := decimals[it.Currency]
		if !known {
			e.Reason = fmt.Sprintf("currency %s is not an asset of the chain (the record is in %s)", it.Currency, asset)
			add(ImportUnmatched, e)
			continue
		}
		units, err := chain.ParseAmount(it.Amount, d)
		if err != nil {
			e.Reason = fmt.Sprintf("amount %s %s: %v", it.Amount, it.Currency, err)
			add(ImportUnmatched, e)
			continue
		}
		if it.BankRef == "" || len(it.BankRef) > chain.MaxBankRefLen {
			e.Reason = fmt.Sprintf("bank reference (AcctSvcrRef) must be 1-%d bytes", chain.MaxBankRefLen)
			add(ImportUnmatched, e)
			continue
		}
		if seen[it.BankRef] || trackHasRef(track, it.BankRef) {
			e.Reason = "already imported: bank reference " + it.BankRef
			add(ImportSkipped, e)
			continue
		}
		kind, reason := mapEntry(it, m, track)
		if kind == 0 {
			e.Reason = reason
			add(ImportPending, e)
			continue
		}
		seen[it.BankRef] = true
		e.Kind = kind.String()
		out = append(out, chain.Feedback{Kind: kind, Record: *e.Record, Asset: it.Currency, Amount: units, Ref: it.BankRef})
		add(ImportSubmitted, e)
	}
	rep.Submitted, rep.Skipped = len(rep.Entries[ImportSubmitted]), len(rep.Entries[ImportSkipped])
	rep.Pending, rep.Unmatched = len(rep.Entries[ImportPending]), len(rep.Entries[ImportUnmatched])
	return rep, out
}

// mapEntry is the feedback kind an entry reports on its record, or 0 and
// why it is not submitted.
func mapEntry(it camt.Item, m rpc.RecordMatch, track *rpc.BankTrack) (chain.FeedbackKind, string) {
	if it.Reversal {
		return chain.FeedbackReversal, ""
	}
	if it.Status != camt.Booked {
		if it.Status == camt.Pending && it.CreditDebit == camt.Debit && m.Escrow != nil && track.NextStep != nil && track.NextStep.Kind == chain.FeedbackHoldPlaced.String() {
			return chain.FeedbackHoldPlaced, ""
		}
		return 0, fmt.Sprintf("%s %s entry: only a debit reservation on an escrow waiting for hold_placed is reported", it.Status, it.CreditDebit)
	}
	switch {
	case m.Payout != nil && it.CreditDebit == camt.Debit:
		return chain.FeedbackPayoutExecuted, ""
	case m.Payout != nil:
		return 0, "a booked credit on a payout: nothing on chain corresponds"
	case it.CreditDebit == camt.Debit:
		return chain.FeedbackDebitExecuted, ""
	case m.Escrow.Status == chain.EscrowRefunded.String():
		return chain.FeedbackRefundExecuted, ""
	}
	return chain.FeedbackHoldReleased, ""
}

// trackHasRef reports whether a record already carries a bank reference,
// matched or as an exception.
func trackHasRef(t *rpc.BankTrack, ref string) bool {
	for _, s := range t.Steps {
		if s.Matched && s.Ref == ref {
			return true
		}
	}
	for _, x := range t.Exceptions {
		if x.Ref == ref {
			return true
		}
	}
	return false
}

// ImportOptions control ImportCamt054.
type ImportOptions struct {
	DryRun bool // plan and report; submit nothing
	Wait   bool // wait for every feedback to be final and report its code
}

// ImportCamt054 reads a camt.054 file and submits the feedback it reports
// on the records of key's bank. A file that cannot be read submits nothing.
// Transactions go in batches the node's pool takes from one sender; each
// batch is final before the next is sent.
func (c *Client) ImportCamt054(ctx context.Context, key *ecdsa.PrivateKey, r io.Reader, o ImportOptions) (*ImportReport, error) {
	n, err := camt.Parse(r)
	if err != nil {
		return nil, err
	}
	g, err := c.Genesis(ctx)
	if err != nil {
		return nil, err
	}
	decimals := map[string]uint8{}
	for _, a := range g.Assets {
		decimals[a.Symbol] = a.Decimals
	}
	bank := cryptoAddress(key)
	matches, err := c.matchRecords(ctx, bank, n)
	if err != nil {
		return nil, err
	}
	rep, bodies := PlanImport(n, matches, decimals)
	rep.DryRun = o.DryRun
	if o.DryRun || len(bodies) == 0 {
		return rep, nil
	}
	nonce, err := c.NextNonce(ctx, bank)
	if err != nil {
		return rep, fmt.Errorf("bank nonce: %w", err)
	}
	txs, err := SignFeedbacks(g.ChainID, nonce, key, bodies)
	if err != nil {
		return rep, err
	}
	entries := rep.Entries[ImportSubmitted]
	for i, tx := range txs {
		h := tx.Hash()
		entries[i].Tx = &h
	}
	for start := 0; start < len(txs); start += importBatch {
		batch := txs[start:min(start+importBatch, len(txs))]
		res, err := c.SendRawTransactions(ctx, batch)
		if err != nil {
			return rep, fmt.Errorf("submit feedback %d-%d: %w", start+1, start+len(batch), err)
		}
		for i, r := range res {
			if r.Code != "" {
				entries[start+i].Code = r.Code
				return rep, fmt.Errorf("feedback for %s refused: %s (%s); later entries were not submitted", entries[start+i].Where, r.Code, r.Error)
			}
		}
		if o.Wait || start+len(batch) < len(txs) {
			for i, tx := range batch {
				got, err := c.WaitFinal(ctx, tx.Hash())
				if got == nil {
					return rep, fmt.Errorf("wait for feedback %s: %w", entries[start+i].Where, err)
				}
				entries[start+i].Code = got.Code
			}
		}
	}
	return rep, nil
}

// importBatch is how many feedback transactions go before waiting for them:
// below the pool's default limit per sender.
const importBatch = 900

// matchRecords looks up every end-to-end id the file names, for bank.
func (c *Client) matchRecords(ctx context.Context, bank common.Address, n *camt.Notification) (map[string]rpc.RecordMatch, error) {
	var refs []string
	seen := map[string]bool{}
	for _, it := range n.Items {
		if it.EndToEndID == "" || seen[it.EndToEndID] {
			continue
		}
		seen[it.EndToEndID] = true
		if _, _, err := chain.ParseEndToEndID(it.EndToEndID); err == nil {
			refs = append(refs, it.EndToEndID)
		}
	}
	out := make(map[string]rpc.RecordMatch, len(refs))
	for start := 0; start < len(refs); start += rpc.MaxEndToEndRefs {
		part, err := c.FindBankRecords(ctx, rpc.EndToEndQuery{Bank: bank, Refs: refs[start:min(start+rpc.MaxEndToEndRefs, len(refs))]})
		if err != nil {
			return nil, fmt.Errorf("find records: %w", err)
		}
		for _, m := range part {
			out[m.Ref] = m
		}
	}
	return out, nil
}

// SignFeedbacks signs feedback bodies from key with consecutive nonces.
func SignFeedbacks(chainID string, nonce uint64, key *ecdsa.PrivateKey, bodies []chain.Feedback) ([]*chain.Tx, error) {
	txs := make([]*chain.Tx, len(bodies))
	for i, b := range bodies {
		tx, err := SignTx(chainID, nonce+uint64(i), b, key)
		if err != nil {
			return nil, err
		}
		txs[i] = tx
	}
	return txs, nil
}
