package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// PolicyReader is the committed ledger's account policy, supervisor
// approval and purchase sub-account queries (docs/POLICIES.md).
// *ledger.Ledger implements it.
type PolicyReader interface {
	Policy(a common.Address) (*chain.Policy, error)
	Approval(id common.Hash) (*chain.Approval, bool, error)
	Approvals(q chain.ApprovalQuery) ([]*chain.Approval, error)
	SubAccount(a common.Address) (*chain.SubAccount, bool, error)
}

// Error codes of the policy methods.
const (
	ErrCodeApprovalNotFound   = "approval_not_found"
	ErrCodeSubAccountNotFound = "sub_account_not_found"
)

// PolicyTier is one asset's tiers: up to small is small, up to normal
// normal, above large.
type PolicyTier struct {
	Asset       string `json:"asset"`
	Small       string `json:"small"`
	SmallUnits  uint64 `json:"small_units,string"`
	Normal      string `json:"normal"`
	NormalUnits uint64 `json:"normal_units,string"`
}

// Policy is an account's policy. An account without one has Bound false
// and every other field empty.
type Policy struct {
	Account               common.Address   `json:"account"`
	Bound                 bool             `json:"bound"`
	Tiers                 []PolicyTier     `json:"tiers"`
	VerificationKey       *common.Address  `json:"verification_key"` // the account's withdrawal key
	Guardians             []common.Address `json:"guardians"`
	Threshold             uint64           `json:"threshold"`
	Supervisor            *common.Address  `json:"supervisor"`
	NewPayeeNeedsGuardian bool             `json:"new_payee_needs_guardian"`
}

// GetPolicy returns an account's policy.
func (api *API) GetPolicy(addr common.Address) (*Policy, error) {
	acct, ok, err := api.b.Account(addr)
	if err != nil {
		return nil, internalError("read account", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeAccountNotFound, "account not found: %s", addr.Hex())
	}
	p, err := api.b.Policy(addr)
	if err != nil {
		return nil, internalError("read policy", err)
	}
	out := &Policy{Account: addr, Bound: !p.IsZero(), Tiers: []PolicyTier{}, Guardians: p.Guardians, Threshold: p.Threshold,
		NewPayeeNeedsGuardian: p.NewPayeeNeedsGuardian}
	if out.Guardians == nil {
		out.Guardians = []common.Address{}
	}
	for _, t := range p.Tiers {
		out.Tiers = append(out.Tiers, PolicyTier{Asset: t.Asset, Small: api.assets.format(t.Asset, t.Small), SmallUnits: t.Small,
			Normal: api.assets.format(t.Asset, t.Normal), NormalUnits: t.Normal})
	}
	if k := acct.WithdrawalKey; k != (common.Address{}) {
		out.VerificationKey = &k
	}
	if s := p.Supervisor; s != (common.Address{}) {
		out.Supervisor = &s
	}
	return out, nil
}

// Approval is a payment waiting for its supervisor (or decided).
type Approval struct {
	ID           common.Hash     `json:"id"` // the waiting transaction's hash
	Status       string          `json:"status"`
	Payer        common.Address  `json:"payer"`
	Supervisor   common.Address  `json:"supervisor"`
	Payee        *common.Address `json:"payee"` // null for a withdraw or burn
	Type         string          `json:"type"`  // the waiting transaction's type
	Asset        string          `json:"asset"`
	Amount       string          `json:"amount"`
	AmountUnits  uint64          `json:"amount_units,string"`
	Height       uint64          `json:"height"`
	Deadline     uint64          `json:"deadline"`
	DeadlineTime string          `json:"deadline_time"`
	Reason       string          `json:"reason,omitempty"`
}

func (as assets) approval(a *chain.Approval, now uint64) Approval {
	out := Approval{ID: a.ID, Status: a.StatusAt(now).String(), Payer: a.Payer, Supervisor: a.Supervisor, Asset: a.Asset,
		Amount: as.format(a.Asset, a.Amount), AmountUnits: a.Amount, Height: a.Height, Deadline: a.Deadline,
		DeadlineTime: msTime(a.Deadline), Reason: a.Reason}
	if a.Payee != (common.Address{}) {
		p := a.Payee
		out.Payee = &p
	}
	if tx, err := chain.DecodeTx(a.Tx); err == nil {
		out.Type = tx.Type().String()
	}
	return out
}

// ApprovalList selects the payments of Payer or for Supervisor (exactly
// one), newest first, of one Status: "" means awaiting_approval, "any"
// every status.
type ApprovalList struct {
	Payer      *common.Address `json:"payer,omitempty"`
	Supervisor *common.Address `json:"supervisor,omitempty"`
	Status     string          `json:"status,omitempty"` // awaiting_approval (default) | approved | rejected | recalled | lapsed | any
	Limit      int             `json:"limit,omitempty"`  // default 100, at most 1000
}

func (q ApprovalList) account() (common.Address, bool) {
	switch {
	case q.Payer != nil && q.Supervisor == nil:
		return *q.Payer, true
	case q.Supervisor != nil && q.Payer == nil:
		return *q.Supervisor, true
	}
	return common.Address{}, false
}

// PendingApprovals lists a supervisor's or a payer's payments, newest
// first: by default those awaiting approval.
func (api *API) PendingApprovals(q ApprovalList) ([]Approval, error) {
	if _, ok := q.account(); !ok {
		return nil, invalidParams("give exactly one of supervisor and payer")
	}
	if q.Limit < 0 || q.Limit > 1000 {
		return nil, invalidParams("limit %d: want 0 to 1000", q.Limit)
	}
	cq := chain.ApprovalQuery{Payer: q.Payer, Supervisor: q.Supervisor, Limit: q.Limit}
	switch q.Status {
	case "":
		cq.Status = chain.ApprovalAwaiting
	case "any":
	default:
		s, ok := chain.ParseApprovalStatus(q.Status)
		if !ok {
			return nil, invalidParams("status %q: want awaiting_approval, approved, rejected, recalled, lapsed or any", q.Status)
		}
		cq.Status = s
	}
	list, err := api.b.Approvals(cq)
	if err != nil {
		return nil, internalError("list approvals", err)
	}
	now := api.b.Head().Time
	out := make([]Approval, len(list))
	for i, a := range list {
		out[i] = api.assets.approval(a, now)
	}
	return out, nil
}

// GetApproval returns one waiting (or decided) payment.
func (api *API) GetApproval(id common.Hash) (*Approval, error) {
	a, ok, err := api.b.Approval(id)
	if err != nil {
		return nil, internalError("read approval", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeApprovalNotFound, "no payment waits or waited under id %s", id.Hex())
	}
	out := api.assets.approval(a, api.b.Head().Time)
	return &out, nil
}

// SubAccountLimit is one asset's limit with what is left of it.
type SubAccountLimit struct {
	Asset          string `json:"asset"`
	Limit          string `json:"limit"`
	LimitUnits     uint64 `json:"limit_units,string"`
	PeriodMs       uint64 `json:"period_ms"`
	Spent          string `json:"spent"`
	Remaining      string `json:"remaining"`
	RemainingUnits uint64 `json:"remaining_units,string"`
	ResetAt        uint64 `json:"reset_at"` // block time (ms) the running period ends
	ResetTime      string `json:"reset_time"`
}

// SubAccount is a purchase sub-account as of the head block's time.
type SubAccount struct {
	Address   common.Address    `json:"address"`
	Main      common.Address    `json:"main"`
	Status    string            `json:"status"`  // open | frozen | closed
	Funding   string            `json:"funding"` // top_up | draw
	Created   uint64            `json:"created"`
	Limits    []SubAccountLimit `json:"limits"`
	Merchants []common.Address  `json:"merchants"` // empty: any payee
}

// GetSubAccount returns a sub-account's terms, what is left of each limit
// in the running period, and when each period resets.
func (api *API) GetSubAccount(addr common.Address) (*SubAccount, error) {
	sa, ok, err := api.b.SubAccount(addr)
	if err != nil {
		return nil, internalError("read sub-account", err)
	}
	if !ok {
		return nil, newError(CodeNotFound, ErrCodeSubAccountNotFound, "%s is no sub-account", addr.Hex())
	}
	now := api.b.Head().Time
	out := &SubAccount{Address: addr, Main: sa.Main, Status: "open", Funding: "top_up", Created: sa.Created,
		Limits: []SubAccountLimit{}, Merchants: sa.Terms.Merchants}
	switch {
	case sa.Closed:
		out.Status = "closed"
	case sa.Frozen:
		out.Status = "frozen"
	}
	if sa.Terms.Draw {
		out.Funding = "draw"
	}
	if out.Merchants == nil {
		out.Merchants = []common.Address{}
	}
	for _, l := range sa.Terms.Limits {
		left, reset, _ := sa.Remaining(l.Asset, now)
		out.Limits = append(out.Limits, SubAccountLimit{Asset: l.Asset, Limit: api.assets.format(l.Asset, l.Amount), LimitUnits: l.Amount,
			PeriodMs: l.Period, Spent: api.assets.format(l.Asset, l.Amount-left), Remaining: api.assets.format(l.Asset, left),
			RemainingUnits: left, ResetAt: reset, ResetTime: msTime(reset)})
	}
	return out, nil
}

func (g *guardedAPI) GetPolicy(ctx context.Context, addr common.Address) (*Policy, error) {
	if _, err := g.check(ctx, "sov_getPolicy", addr); err != nil {
		return nil, err
	}
	return g.api.GetPolicy(addr)
}

func (g *guardedAPI) PendingApprovals(ctx context.Context, q ApprovalList) ([]Approval, error) {
	if _, err := g.check(ctx, "sov_pendingApprovals", q); err != nil {
		return nil, err
	}
	return g.api.PendingApprovals(q)
}

func (g *guardedAPI) GetApproval(ctx context.Context, id common.Hash) (*Approval, error) {
	if _, err := g.check(ctx, "sov_getApproval", id); err != nil {
		return nil, err
	}
	return g.api.GetApproval(id)
}

func (g *guardedAPI) GetSubAccount(ctx context.Context, addr common.Address) (*SubAccount, error) {
	if _, err := g.check(ctx, "sov_getSubAccount", addr); err != nil {
		return nil, err
	}
	return g.api.GetSubAccount(addr)
}

// approvalListSubject: a list is the account's it is about.
func approvalListSubject(q ApprovalList) subject {
	a, ok := q.account()
	if !ok {
		return subject{kind: subjectAnything}
	}
	return accountSubject(a)
}

// maySeeApproval: a waiting payment is its payer's, supervisor's and
// payee's business.
func (s *Server) maySeeApproval(c Claims, id common.Hash) (bool, error) {
	a, found, err := s.api.b.Approval(id)
	if err != nil || !found {
		return err == nil, err // an unknown id reveals nothing: the call answers not found
	}
	return s.maySeeAnyOf(c, a.Payer, a.Supervisor, a.Payee)
}

// maySeeSubAccount: a sub-account is its own and its main account's
// business.
func (s *Server) maySeeSubAccount(c Claims, sub common.Address) (bool, error) {
	sa, found, err := s.api.b.SubAccount(sub)
	if err != nil {
		return false, err
	}
	if !found {
		return s.maySeeAccount(c, sub)
	}
	return s.maySeeAnyOf(c, sub, sa.Main)
}

// maySeeAnyOf: the caller may see one of the parties (zero addresses are
// no party).
func (s *Server) maySeeAnyOf(c Claims, parties ...common.Address) (bool, error) {
	for _, party := range parties {
		if party == (common.Address{}) {
			continue
		}
		if ok, err := s.maySeeAccount(c, party); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}
