package rpc

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/sovereign-ledger/sovereign/chain"
)

// caller is who makes a call: the client address, the token's claims (the
// admin role when access control is off) and, on a WebSocket connection,
// its live subscription count.
type caller struct {
	ip     string
	claims Claims
	subs   *atomic.Int64   // nil over HTTP
	done   <-chan struct{} // closed when the WebSocket connection ends; nil over HTTP
}

type callerKey struct{}

// callerOf finds the caller of a method call: an HTTP request carries it in
// its context; a WebSocket call is found by its connection's remote address.
func (s *Server) callerOf(ctx context.Context) *caller {
	if c, ok := ctx.Value(callerKey{}).(*caller); ok {
		return c
	}
	if c, ok := s.edge.socket(gethrpc.PeerInfoFromContext(ctx).RemoteAddr); ok {
		return c
	}
	return &caller{claims: s.anonymous()}
}

// anonymous is a caller without a token: public with access control on,
// admin with it off.
func (s *Server) anonymous() Claims {
	if s.cfg.AuthSecret == nil {
		return Claims{Role: RoleAdmin}
	}
	return Claims{Role: RolePublic}
}

// roleSet is a set of roles.
type roleSet uint8

func rolesOf(rs ...Role) roleSet {
	var s roleSet
	for _, r := range rs {
		for i, known := range Roles {
			if r == known {
				s |= 1 << i
			}
		}
	}
	return s
}

func (s roleSet) has(r Role) bool { return s&rolesOf(r) != 0 }

var (
	anyRole   = rolesOf(RolePublic, RoleAccount, RoleBank, RoleAdmin)
	withToken = rolesOf(RoleAccount, RoleBank, RoleAdmin)
	banksOnly = rolesOf(RoleBank, RoleAdmin)
)

// subjectKind says what a call's subject is.
type subjectKind uint8

const (
	subjectNone       subjectKind = iota // public data
	subjectAccount                       // an account's state or events
	subjectEscrow                        // an escrow: its parties' business
	subjectPayout                        // a payout: its account's business
	subjectBank                          // a bank's own records
	subjectRequest                       // a payment request: its payer's and merchant's business
	subjectApproval                      // a waiting payment: its payer's, supervisor's and payee's business
	subjectSubAccount                    // a sub-account: its own and its main account's business
	subjectAnything                      // may name anything: admin only
)

// subject is the record a call reads.
type subject struct {
	kind subjectKind
	addr common.Address
	id   common.Hash
}

// methodRule is one row of the access table: the roles that may call the
// method, and which of its arguments names the subject (nil: none).
type methodRule struct {
	roles   roleSet
	subject func(args []any) subject
}

// methodAccess classifies every method the server registers; a method
// missing here is refused (and a test fails). Subscriptions are keyed
// "sov_subscribe:NAME".
var methodAccess = map[string]methodRule{
	"sov_chainInfo":           {roles: anyRole},
	"sov_genesis":             {roles: anyRole},
	"sov_getBlockByNumber":    {roles: anyRole},
	"sov_getTransaction":      {roles: anyRole},
	"sov_waitTransaction":     {roles: anyRole},
	"sov_getBank":             {roles: anyRole},
	"sov_getProof":            {roles: anyRole, subject: func(a []any) subject { return proofSubject(a[0].(ProofQuery)) }},
	"sov_sendRawTransaction":  {roles: withToken}, // the signature authorises the transaction itself
	"sov_sendRawTransactions": {roles: withToken},
	"sov_getAccount":          {roles: withToken, subject: func(a []any) subject { return accountSubject(a[0].(common.Address)) }},
	"sov_getEscrow":           {roles: withToken, subject: func(a []any) subject { return subject{kind: subjectEscrow, id: a[0].(common.Hash)} }},
	"sov_listEscrows":         {roles: withToken, subject: func(a []any) subject { return escrowListSubject(a[0].(EscrowList)) }},
	"sov_getPayout":           {roles: withToken, subject: func(a []any) subject { return subject{kind: subjectPayout, id: a[0].(common.Hash)} }},
	"sov_listPayouts":         {roles: banksOnly, subject: func(a []any) subject { return subject{kind: subjectBank, addr: a[0].(BankRange).Bank} }},
	"sov_keyPath":             {roles: anyRole}, // headers only: who held the key
	"sov_listEvidence":        {roles: anyRole}, // validators' conduct is every member's to check
	"sov_getValidators":       {roles: anyRole}, // the set of any height, as sov_chainInfo shows the head's
	"sov_listProposals":       {roles: anyRole}, // the consortium's governance is every member's to follow
	"sov_getProposal":         {roles: anyRole},
	"sov_getSetChanges":       {roles: anyRole}, // headers, certificates and proofs of the validator set: public as sov_keyPath
	"sov_accountHistory":      {roles: withToken, subject: func(a []any) subject { return accountSubject(a[0].(HistoryQuery).Account) }},
	"sov_reconciliation":      {roles: banksOnly, subject: func(a []any) subject { return subject{kind: subjectBank, addr: a[0].(BankRange).Bank} }},
	"sov_getRequest":          {roles: withToken, subject: func(a []any) subject { return subject{kind: subjectRequest, id: a[0].(common.Hash)} }},
	"sov_listRequests":        {roles: withToken, subject: func(a []any) subject { return requestListSubject(a[0].(RequestList)) }},
	"sov_resolveAlias":        {roles: withToken}, // names one account for one alias; no listing, no reverse lookup
	"sov_findBankRecords":     {roles: banksOnly, subject: func(a []any) subject { return subject{kind: subjectBank, addr: a[0].(EndToEndQuery).Bank} }},
	"sov_getPolicy":           {roles: withToken, subject: func(a []any) subject { return accountSubject(a[0].(common.Address)) }},
	"sov_pendingApprovals":    {roles: withToken, subject: func(a []any) subject { return approvalListSubject(a[0].(ApprovalList)) }},
	"sov_getApproval":         {roles: withToken, subject: func(a []any) subject { return subject{kind: subjectApproval, id: a[0].(common.Hash)} }},
	"sov_getSubAccount":       {roles: withToken, subject: func(a []any) subject { return subject{kind: subjectSubAccount, addr: a[0].(common.Address)} }},

	"sov_subscribe:newFinalBlocks": {roles: anyRole},
	"sov_subscribe:accountEvents":  {roles: withToken, subject: func(a []any) subject { return accountSubject(a[0].(common.Address)) }},
}

func accountSubject(a common.Address) subject { return subject{kind: subjectAccount, addr: a} }

// proofSubject: a proof shows the record it names, so it needs the right
// to see that record; a raw key is classified by what it is the key of.
func proofSubject(q ProofQuery) subject {
	switch {
	case q.Account != nil:
		return accountSubject(*q.Account)
	case q.Escrow != nil:
		return subject{kind: subjectEscrow, id: *q.Escrow}
	case q.Payout != nil:
		return subject{kind: subjectPayout, id: *q.Payout}
	}
	return keySubject(q.Key)
}

// keySubject classifies a raw state key. Keys of accounts, escrows and
// payouts are private to their parties; other state (assets, banks,
// validators, chain metadata, evidence) is public.
func keySubject(key []byte) subject {
	if len(key) == 0 {
		return subject{}
	}
	if len(key) == 1+common.AddressLength {
		if a := common.BytesToAddress(key[1:]); bytes.Equal(chain.AccountKey(a), key) {
			return accountSubject(a)
		}
	}
	if len(key) == 1+common.HashLength {
		id := common.BytesToHash(key[1:])
		switch {
		case bytes.Equal(chain.EscrowKey(id), key):
			return subject{kind: subjectEscrow, id: id}
		case bytes.Equal(chain.PayoutKey(id), key):
			return subject{kind: subjectPayout, id: id}
		case bytes.Equal(chain.RequestKey(id), key):
			return subject{kind: subjectRequest, id: id}
		}
	}
	return subject{}
}

// escrowListSubject: a list of one account's escrows is that account's; the
// list of all open escrows is everyone's, so admin only.
func escrowListSubject(q EscrowList) subject {
	if q.Account == nil {
		return subject{kind: subjectAnything}
	}
	return accountSubject(*q.Account)
}

// authorize decides whether c may call method with args.
func (s *Server) authorize(c *caller, method string, args []any) error {
	rule, ok := methodAccess[method]
	if !ok {
		s.edge.stats.accessRefused.Add(1)
		return newError(CodeForbidden, ErrCodeForbidden, "%s is not classified for access control", method)
	}
	role := c.claims.Role
	if !rule.roles.has(role) {
		s.edge.stats.accessRefused.Add(1)
		return newError(CodeForbidden, ErrCodeForbidden, "%s needs one of the roles %s; the caller is %s", method, rule.roles, role)
	}
	if role == RoleAdmin || rule.subject == nil {
		return nil
	}
	sub := rule.subject(args)
	ok, err := s.maySee(c.claims, sub)
	if err != nil {
		return internalError("check access", err)
	}
	if !ok {
		s.edge.stats.accessRefused.Add(1)
		return newError(CodeForbidden, ErrCodeForbidden, "%s: a %s token for %s may not see %s", method, role, c.claims.Subject.Hex(), sub)
	}
	return nil
}

// maySee decides whether the bearer of claims may see sub: an account sees
// itself, a bank itself and the accounts it services, the parties' view
// decides escrows and payouts, and admin sees everything.
func (s *Server) maySee(c Claims, sub subject) (bool, error) {
	if c.Role == RoleAdmin {
		return true, nil
	}
	switch sub.kind {
	case subjectNone:
		return true, nil
	case subjectAccount:
		return s.maySeeAccount(c, sub.addr)
	case subjectBank:
		return c.Role == RoleBank && c.Subject == sub.addr, nil
	case subjectEscrow:
		e, found, err := s.api.b.Escrow(sub.id)
		if err != nil || !found {
			return err == nil, err // an unknown id reveals nothing: the call answers not found
		}
		return s.maySeeAnyOf(c, e.Payer, e.Payee, e.Arbiter)
	case subjectRequest:
		return s.maySeeRequest(c, sub.id)
	case subjectApproval:
		return s.maySeeApproval(c, sub.id)
	case subjectSubAccount:
		return s.maySeeSubAccount(c, sub.addr)
	case subjectPayout:
		p, found, err := s.api.b.Payout(sub.id)
		if err != nil || !found {
			return err == nil, err
		}
		return s.maySeeAccount(c, p.Account)
	}
	return false, nil // subjectAnything
}

func (s *Server) maySeeAccount(c Claims, a common.Address) (bool, error) {
	switch c.Role {
	case RoleAccount:
		return c.Subject == a, nil
	case RoleBank:
		if c.Subject == a {
			return true, nil
		}
		acct, found, err := s.api.b.Account(a)
		if err != nil {
			return false, fmt.Errorf("read account %s: %w", a.Hex(), err)
		}
		return found && acct.Bank == c.Subject, nil
	}
	return false, nil
}

func (rs roleSet) String() string {
	var out []byte
	for _, r := range Roles {
		if rs.has(r) {
			if len(out) > 0 {
				out = append(out, '|')
			}
			out = append(out, r...)
		}
	}
	return string(out)
}

func (s subject) String() string {
	switch s.kind {
	case subjectAccount:
		return "account " + s.addr.Hex()
	case subjectBank:
		return "the records of bank " + s.addr.Hex()
	case subjectEscrow:
		return "escrow " + s.id.Hex()
	case subjectPayout:
		return "payout " + s.id.Hex()
	case subjectRequest:
		return "request " + s.id.Hex()
	case subjectApproval:
		return "waiting payment " + s.id.Hex()
	case subjectSubAccount:
		return "sub-account " + s.addr.Hex()
	case subjectAnything:
		return "every account's records"
	}
	return "public data"
}

// AccessTable lists every classified method (subscriptions as
// "sov_subscribe:NAME") with the roles that may call it; docs and tests
// read it.
func AccessTable() map[string][]Role {
	out := make(map[string][]Role, len(methodAccess))
	for m, rule := range methodAccess {
		for _, r := range Roles {
			if rule.roles.has(r) {
				out[m] = append(out[m], r)
			}
		}
	}
	return out
}
