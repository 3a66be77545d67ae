package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// RequestReader is the committed ledger's payment request, alias and
// end-to-end reference queries. *ledger.Ledger implements it.
type RequestReader interface {
	Request(id common.Hash) (*chain.Request, bool, error)
	Requests(q chain.RequestQuery) ([]*chain.Request, error)
	Alias(h common.Hash) (*chain.AliasBinding, bool, error)
	RecordByEndToEnd(ref string) (*chain.Escrow, *chain.Payout, bool, error)
}

// Error codes of the request and alias methods.
const (
	ErrCodeRequestNotFound = "request_not_found"
	ErrCodeAliasNotFound   = "alias_not_found"
	ErrCodeBadAlias        = "bad_alias"
)

// Request is a payment request.
type Request struct {
	ID            common.Hash     `json:"id"`
	Status        string          `json:"status"` // open | paid | declined | expired | cancelled
	Merchant      common.Address  `json:"merchant"`
	Payer         common.Address  `json:"payer"`
	Asset         string          `json:"asset"`
	Amount        string          `json:"amount"`
	AmountUnits   uint64          `json:"amount_units,string"`
	Expiry        uint64          `json:"expiry"`
	ExpiryTime    string          `json:"expiry_time"`
	Ref           string          `json:"ref"`
	Mode          string          `json:"mode"` // direct | escrow
	Arbiter       *common.Address `json:"arbiter"`
	HoldForMs     uint64          `json:"hold_for_ms,omitempty"`
	CreatedHeight uint64          `json:"created_height"`
	CreatedAt     uint64          `json:"created_at"`
	EndedHeight   *uint64         `json:"ended_height"`
	EndedAt       *uint64         `json:"ended_at"`
	Payment       *common.Hash    `json:"payment,omitempty"` // the accept transaction
	Escrow        *common.Hash    `json:"escrow,omitempty"`  // paid into this escrow
	EndToEndID    string          `json:"end_to_end_id,omitempty"`
	Reason        string          `json:"reason,omitempty"` // decline reason code
}

func (as assets) request(r *chain.Request) Request {
	out := Request{
		ID: r.ID, Status: r.Status.String(), Merchant: r.Merchant, Payer: r.Payer, Asset: r.Asset,
		Amount: as.format(r.Asset, r.Amount), AmountUnits: r.Amount, Expiry: r.Expiry, ExpiryTime: msTime(r.Expiry),
		Ref: r.Ref, Mode: r.Mode.String(), HoldForMs: r.HoldFor, CreatedHeight: r.CreatedHeight, CreatedAt: r.CreatedAt, Reason: r.Reason,
	}
	if r.Arbiter != (common.Address{}) {
		a := r.Arbiter
		out.Arbiter = &a
	}
	if r.Status != chain.RequestOpen {
		h, t := r.EndedHeight, r.EndedAt
		out.EndedHeight, out.EndedAt = &h, &t
	}
	if r.Payment != (common.Hash{}) {
		p := r.Payment
		out.Payment = &p
	}
	if r.Escrow != (common.Hash{}) {
		e := r.Escrow
		out.Escrow, out.EndToEndID = &e, chain.EscrowEndToEndID(e)
	}
	return out
}

// GetRequest returns a payment request.
func (api *API) GetRequest(id common.Hash) (*Request, error) {
	r, ok, err := api.b.Request(id)
	if err != nil {
		return nil, internalError("read request", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeRequestNotFound, "request not found: %s", id.Hex())
	}
	out := api.assets.request(r)
	return &out, nil
}

// RequestList selects requests addressed to Payer or made by Merchant
// (exactly one), newest first, optionally with one status.
type RequestList struct {
	Payer    *common.Address `json:"payer,omitempty"`
	Merchant *common.Address `json:"merchant,omitempty"`
	Status   string          `json:"status,omitempty"`
	Limit    int             `json:"limit,omitempty"` // default 100, at most 1000
}

// account is the one account the list is about.
func (q RequestList) account() (common.Address, bool) {
	switch {
	case q.Payer != nil && q.Merchant == nil:
		return *q.Payer, true
	case q.Merchant != nil && q.Payer == nil:
		return *q.Merchant, true
	}
	return common.Address{}, false
}

// ListRequests lists requests.
func (api *API) ListRequests(q RequestList) ([]Request, error) {
	if _, ok := q.account(); !ok {
		return nil, invalidParams("give exactly one of payer and merchant")
	}
	cq := chain.RequestQuery{Payer: q.Payer, Merchant: q.Merchant, Limit: min(q.Limit, 1000)}
	if q.Status != "" {
		s, ok := chain.ParseRequestStatus(q.Status)
		if !ok {
			return nil, invalidParams("status %q: want open, paid, declined, expired or cancelled", q.Status)
		}
		cq.Status = s
	}
	list, err := api.b.Requests(cq)
	if err != nil {
		return nil, internalError("list requests", err)
	}
	out := make([]Request, len(list))
	for i, r := range list {
		out[i] = api.assets.request(r)
	}
	return out, nil
}

// AliasResolution is where an alias points: nothing more.
type AliasResolution struct {
	Account common.Address `json:"account"`
	Bank    common.Address `json:"bank"`
	Height  uint64         `json:"height"` // the block whose finality made the binding
}

// ResolveAlias resolves a clear alias (a phone number or an e-mail
// address): the node normalizes and hashes it under the chain's salt, as
// the bank did when binding it.
func (api *API) ResolveAlias(alias string) (*AliasResolution, error) {
	h, err := api.g.HashAlias(alias)
	if err != nil {
		return nil, newError(CodeInvalidParams, ErrCodeBadAlias, "%v", err)
	}
	b, ok, err := api.b.Alias(h)
	if err != nil {
		return nil, internalError("resolve alias", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeAliasNotFound, "alias is not bound")
	}
	return &AliasResolution{Account: b.Account, Bank: b.Bank, Height: b.Height}, nil
}

// EndToEndQuery asks for the records of Bank that end-to-end references
// name (camt.054 import).
type EndToEndQuery struct {
	Bank common.Address `json:"bank"`
	Refs []string       `json:"refs"` // at most 10000
}

// RecordMatch is what one end-to-end reference names: an escrow or a
// payout of the bank, or nothing (Error says why).
type RecordMatch struct {
	Ref    string  `json:"ref"`
	Escrow *Escrow `json:"escrow,omitempty"`
	Payout *Payout `json:"payout,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// MaxEndToEndRefs bounds one sov_findBankRecords call.
const MaxEndToEndRefs = 10000

// FindBankRecords finds the bank's records by end-to-end reference. A
// record another bank must report on is answered as not found: a bank sees
// only its own.
func (api *API) FindBankRecords(q EndToEndQuery) ([]RecordMatch, error) {
	if len(q.Refs) > MaxEndToEndRefs {
		return nil, invalidParams("%d references, limit %d", len(q.Refs), MaxEndToEndRefs)
	}
	now := api.b.Head().Time
	out := make([]RecordMatch, len(q.Refs))
	for i, ref := range q.Refs {
		out[i].Ref = ref
		e, p, ok, err := api.b.RecordByEndToEnd(ref)
		switch {
		case err != nil:
			out[i].Error = err.Error()
		case !ok || (e != nil && e.Track.Bank != q.Bank) || (p != nil && p.Track.Bank != q.Bank):
			out[i].Error = "no record of this bank"
		case e != nil:
			v := api.assets.escrow(e, now)
			out[i].Escrow = &v
		default:
			v := api.assets.payout(p, now)
			out[i].Payout = &v
		}
	}
	return out, nil
}

func (g *guardedAPI) GetRequest(ctx context.Context, id common.Hash) (*Request, error) {
	if _, err := g.check(ctx, "sov_getRequest", id); err != nil {
		return nil, err
	}
	return g.api.GetRequest(id)
}

func (g *guardedAPI) ListRequests(ctx context.Context, q RequestList) ([]Request, error) {
	if _, err := g.check(ctx, "sov_listRequests", q); err != nil {
		return nil, err
	}
	return g.api.ListRequests(q)
}

func (g *guardedAPI) ResolveAlias(ctx context.Context, alias string) (*AliasResolution, error) {
	if _, err := g.check(ctx, "sov_resolveAlias", alias); err != nil {
		return nil, err
	}
	return g.api.ResolveAlias(alias)
}

func (g *guardedAPI) FindBankRecords(ctx context.Context, q EndToEndQuery) ([]RecordMatch, error) {
	if _, err := g.check(ctx, "sov_findBankRecords", q); err != nil {
		return nil, err
	}
	return g.api.FindBankRecords(q)
}

// requestListSubject: a list is the account's it is about.
func requestListSubject(q RequestList) subject {
	a, ok := q.account()
	if !ok {
		return subject{kind: subjectAnything}
	}
	return accountSubject(a)
}

// maySeeRequest: a request is its payer's and its merchant's business.
func (s *Server) maySeeRequest(c Claims, id common.Hash) (bool, error) {
	r, found, err := s.api.b.Request(id)
	if err != nil || !found {
		return err == nil, err // an unknown id reveals nothing: the call answers not found
	}
	return s.maySeeAnyOf(c, r.Parties()...)
}

// paymentBody renders the bodies of the request and alias transactions.
func (as assets) paymentBody(b chain.Body) *TxBody {
	switch b := b.(type) {
	case chain.PaymentRequest:
		v := b.Amount
		out := &TxBody{Asset: b.Asset, Amount: as.format(b.Asset, v), AmountUnits: &v, Expiry: b.Expiry, Ref: b.Ref, Mode: b.Mode.String(), HoldForMs: b.HoldFor}
		if b.Payer != (common.Address{}) {
			out.Account = &b.Payer
		}
		if b.PayerAlias != (common.Hash{}) {
			out.Alias = &b.PayerAlias
		}
		if b.Arbiter != (common.Address{}) {
			out.Arbiter = &b.Arbiter
		}
		return out
	case chain.Accept:
		v := b.Amount
		return &TxBody{Request: &b.Request, Asset: b.Asset, Amount: as.format(b.Asset, v), AmountUnits: &v}
	case chain.Decline:
		return &TxBody{Request: &b.Request, Reason: b.Reason}
	case chain.CancelRequest:
		return &TxBody{Request: &b.Request}
	case chain.BindAlias:
		return &TxBody{Alias: &b.Alias, Account: &b.Account}
	case chain.UnbindAlias:
		return &TxBody{Alias: &b.Alias}
	}
	// Bodies with no fields of their own here (account policies,
	// supervisor approvals, sub-accounts: docs/POLICIES.md) are shown as
	// the chain defines them.
	return &TxBody{Terms: b}
}
