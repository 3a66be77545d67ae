package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
)

// EscrowReader is the committed ledger's escrow, payout and feedback
// queries. *ledger.Ledger implements it.
type EscrowReader interface {
	Head() *chain.Header
	Escrow(id common.Hash) (*chain.Escrow, bool, error)
	Escrows(q chain.EscrowQuery) ([]*chain.Escrow, error)
	Payout(id common.Hash) (*chain.Payout, bool, error)
	BankRecords(bank common.Address, from, to uint64) ([]chain.BankRecord, error)
	Reconcile(bank common.Address, from, to uint64) (*chain.Reconciliation, error)
	Bank(a common.Address) (*chain.BankInfo, bool, error)
}

// Error codes of the escrow methods.
const (
	ErrCodeEscrowNotFound = "escrow_not_found"
	ErrCodePayoutNotFound = "payout_not_found"
	ErrCodeBankNotFound   = "bank_not_found"
)

// GetEscrow returns an escrow with its bank feedback status.
func (api *API) GetEscrow(id common.Hash) (*Escrow, error) {
	e, ok, err := api.b.Escrow(id)
	if err != nil {
		return nil, internalError("read escrow", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeEscrowNotFound, "escrow not found: %s", id.Hex())
	}
	out := api.assets.escrow(e, api.b.Head().Time)
	return &out, nil
}

// EscrowList selects escrows: those account is party to (newest first,
// optionally with one status), or, without account, the open ones in
// expiry order.
type EscrowList struct {
	Account *common.Address `json:"account,omitempty"`
	Status  string          `json:"status,omitempty"`
	Limit   int             `json:"limit,omitempty"` // default 100, at most 1000
}

// ListEscrows lists escrows.
func (api *API) ListEscrows(q EscrowList) ([]Escrow, error) {
	cq := chain.EscrowQuery{Account: q.Account, Limit: min(q.Limit, 1000)}
	if q.Status != "" {
		s, ok := chain.ParseEscrowStatus(q.Status)
		if !ok {
			return nil, invalidParams("status %q: want open, released, refunded or expired", q.Status)
		}
		cq.Status = s
	}
	if q.Account == nil && cq.Status != 0 && cq.Status != chain.EscrowOpen {
		return nil, invalidParams("listing %s escrows needs an account", q.Status)
	}
	list, err := api.b.Escrows(cq)
	if err != nil {
		return nil, internalError("list escrows", err)
	}
	now := api.b.Head().Time
	out := make([]Escrow, len(list))
	for i, e := range list {
		out[i] = api.assets.escrow(e, now)
	}
	return out, nil
}

// GetPayout returns a payout (withdrawal) with its bank feedback status.
func (api *API) GetPayout(id common.Hash) (*Payout, error) {
	p, ok, err := api.b.Payout(id)
	if err != nil {
		return nil, internalError("read payout", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodePayoutNotFound, "payout not found: %s", id.Hex())
	}
	out := api.assets.payout(p, api.b.Head().Time)
	return &out, nil
}

// BankRange names a bank and a block range (from defaults to 1, to to the
// final height).
type BankRange struct {
	Bank common.Address `json:"bank"`
	From *uint64        `json:"from,omitempty"`
	To   *uint64        `json:"to,omitempty"`
}

func (q BankRange) bounds(head uint64) (uint64, uint64, error) {
	from, to := uint64(1), head
	if q.From != nil {
		from = *q.From
	}
	if q.To != nil {
		to = *q.To
	}
	if to < from {
		return 0, 0, invalidParams("block range %d..%d is empty", from, to)
	}
	return from, to, nil
}

// ListPayouts lists the payouts the bank must make or made, created in
// the block range.
func (api *API) ListPayouts(q BankRange) ([]Payout, error) {
	head := api.b.Head()
	from, to, err := q.bounds(head.Height)
	if err != nil {
		return nil, err
	}
	recs, err := api.b.BankRecords(q.Bank, from, to)
	if err != nil {
		return nil, internalError("list payouts", err)
	}
	out := []Payout{}
	for _, rec := range recs {
		if rec.Payout != nil {
			out = append(out, api.assets.payout(rec.Payout, head.Time))
		}
	}
	return out, nil
}

// Reconciliation reports a bank's records created in the block range by
// where its feedback stands: matched, waiting, overdue, mismatched.
func (api *API) Reconciliation(q BankRange) (*Reconciliation, error) {
	from, to, err := q.bounds(api.b.Head().Height)
	if err != nil {
		return nil, err
	}
	rep, err := api.b.Reconcile(q.Bank, from, to)
	if err != nil {
		return nil, internalError("reconcile", err)
	}
	return api.assets.reconciliation(rep), nil
}

// GetBank returns a member bank with its public key (to which payout
// details are encrypted), once known.
func (api *API) GetBank(addr common.Address) (*Bank, error) {
	b, ok, err := api.b.Bank(addr)
	if err != nil {
		return nil, internalError("read bank", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeBankNotFound, "no member bank at %s", addr.Hex())
	}
	return &Bank{Address: b.Address, Name: b.Name, PubKey: b.PubKey}, nil
}

// AccountEvents is the "accountEvents" subscription (WebSocket only):
// sov_subscribe("accountEvents", address) notifies every event of a final
// block that concerns the address (as a party, or as the bank concerned),
// from the next final block on.
func (api *API) AccountEvents(ctx context.Context, addr common.Address) (*gethrpc.Subscription, error) {
	return api.subscribeFinal(ctx, func(notify func(any) error, b *chain.Block, receipts []*chain.Receipt) error {
		for _, n := range chain.BlockNotices(b, receipts) {
			if !n.Event.Concerns(addr) {
				continue
			}
			if err := notify(api.assets.notice(n)); err != nil {
				return err
			}
		}
		return nil
	})
}
