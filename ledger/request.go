package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Payment requests: the rules (docs/PAYMENTS.md), their expiry at block
// boundaries, their indexes and queries.

// Indexes of requests, beside those of escrows (index.go); like them,
// not state.
const (
	kRequestExpiry    = 'W' // expiry ‖ request id → nil: open requests in expiry order
	kRequestByAccount = 'U' // role ('p' payer, 'm' merchant) ‖ account ‖ height ‖ request id → nil
)

const (
	rolePayer    = 'p'
	roleMerchant = 'm'
)

// Request returns a copy of a request, safe to change.
func (s *State) Request(id common.Hash) (*chain.Request, bool) {
	r, ok := load[chain.Request](s, chain.RequestKey(id))
	if !ok {
		return nil, false
	}
	c := *r
	return &c, true
}

// SetRequest stores r.
func (s *State) SetRequest(r *chain.Request) { s.put(chain.RequestKey(r.ID), r) }

func applyRequest(st *State, c txContext, r chain.PaymentRequest) error {
	merchant, now := c.sender, st.block.Time
	if r.Amount == 0 {
		return chain.ErrZeroAmount
	}
	if _, ok := st.Asset(r.Asset); !ok {
		return chain.Reject(chain.ErrUnknownAsset, "%q", r.Asset)
	}
	payer := r.Payer
	switch byAlias := r.PayerAlias != (common.Hash{}); {
	case byAlias == (payer != common.Address{}):
		return chain.Reject(chain.ErrMalformed, "name the payer by exactly one of address and alias")
	case byAlias:
		b, ok := st.Alias(r.PayerAlias)
		if !ok {
			return chain.Reject(chain.ErrAliasNotFound, "the payer's alias is not bound")
		}
		payer = b.Account
	}
	if payer == merchant {
		return chain.Reject(chain.ErrSelfTransfer, "the payer is the merchant")
	}
	payerAcct, ok := st.Account(payer)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "payer %s", payer)
	}
	if r.Expiry <= now || r.Expiry-now > uint64(chain.MaxRequestLifetime.Milliseconds()) {
		return chain.Reject(chain.ErrBadExpiry, "expiry %d must be after block time %d and within %s of it", r.Expiry, now, chain.MaxRequestLifetime)
	}
	if len(r.Ref) > chain.MaxRequestRef {
		return chain.Reject(chain.ErrMalformed, "order reference is %d bytes, limit %d", len(r.Ref), chain.MaxRequestRef)
	}
	switch r.Mode {
	case chain.SettleDirect:
		if r.Arbiter != (common.Address{}) || r.HoldFor != 0 {
			return chain.Reject(chain.ErrMalformed, "a direct request has no arbiter and no hold period")
		}
	case chain.SettleEscrow:
		if r.HoldFor == 0 || r.HoldFor > uint64(chain.MaxEscrowLifetime.Milliseconds()) {
			return chain.Reject(chain.ErrBadExpiry, "hold period %d ms must be positive and at most %s", r.HoldFor, chain.MaxEscrowLifetime)
		}
		if r.Arbiter != (common.Address{}) {
			if r.Arbiter == payer || r.Arbiter == merchant {
				return chain.Reject(chain.ErrBadArbiter, "the arbiter must be a third party")
			}
			if !st.hasAccount(r.Arbiter) {
				return chain.Reject(chain.ErrUnknownAccount, "arbiter %s", r.Arbiter)
			}
		}
	default:
		return chain.Reject(chain.ErrMalformed, "settlement mode %d", r.Mode)
	}
	req := &chain.Request{
		ID: c.hash, Merchant: merchant, Payer: payer, Asset: r.Asset, Amount: r.Amount, Expiry: r.Expiry, Ref: r.Ref,
		Mode: r.Mode, Arbiter: r.Arbiter, HoldFor: r.HoldFor, Status: chain.RequestOpen,
		CreatedHeight: st.block.Height, CreatedAt: now,
	}
	st.SetRequest(req)
	st.emit(requestEvent(req, chain.EventRequestOpened, payerAcct.Bank))
	return nil
}

// requestEvent describes a request's step; the payer's bank is the bank
// concerned, as for the escrow the request may open.
func requestEvent(r *chain.Request, kind string, bank common.Address) chain.Event {
	ev := chain.Event{Kind: kind, Record: r.ID, Accounts: r.Parties(), Bank: bank, Asset: r.Asset, Amount: r.Amount, Ref: r.Ref, Step: r.Mode.String()}
	switch kind {
	case chain.EventRequestOpened, chain.EventRequestExpired:
		ev.At = r.Expiry
	case chain.EventRequestDeclined:
		ev.Reason = r.Reason
	}
	return ev
}

// openRequest loads a request that the sender, as who, may answer now.
func openRequest(st *State, id common.Hash, sender common.Address, who byte) (*chain.Request, error) {
	r, ok := st.Request(id)
	if !ok {
		return nil, chain.Reject(chain.ErrRequestNotFound, "%s", id)
	}
	switch {
	case who == rolePayer && sender != r.Payer:
		return nil, chain.Reject(chain.ErrNotPayer, "request %s is addressed to %s", id, r.Payer)
	case who == roleMerchant && sender != r.Merchant:
		return nil, chain.Reject(chain.ErrNotAuthorized, "only the merchant %s cancels request %s", r.Merchant, id)
	case r.Status == chain.RequestExpired || (r.Status == chain.RequestOpen && st.block.Time > r.Expiry):
		return nil, chain.Reject(chain.ErrRequestExpired, "request %s expired at %d", id, r.Expiry)
	case r.Status != chain.RequestOpen:
		return nil, chain.Reject(chain.ErrRequestNotOpen, "request %s is %s", id, r.Status)
	}
	return r, nil
}

// endRequest closes an open request.
func endRequest(st *State, r *chain.Request, status chain.RequestStatus) {
	r.Status, r.EndedHeight, r.EndedAt = status, st.block.Height, st.block.Time
	st.SetRequest(r)
}

// applyAccept pays a request in the same transaction: the payment runs
// through the transfer or hold rule as if the payer had sent it, so every
// check on a payer's debit applies here too; the request is written paid
// only once the payment succeeded, so an accept is all or nothing.
func applyAccept(st *State, c txContext, a chain.Accept) error {
	r, err := openRequest(st, a.Request, c.sender, rolePayer)
	if err != nil {
		return err
	}
	if a.Asset != r.Asset || a.Amount != r.Amount {
		return chain.Reject(chain.ErrAmountMismatch, "request asks %d %s, accept pays %d %s", r.Amount, r.Asset, a.Amount, a.Asset)
	}
	switch r.Mode {
	case chain.SettleEscrow:
		hold := chain.Hold{Payee: r.Merchant, Asset: r.Asset, Amount: r.Amount, Expiry: st.block.Time + r.HoldFor, Arbiter: r.Arbiter}
		if err := applyHold(st, c, hold); err != nil {
			return err
		}
		r.Escrow = c.hash
	default:
		if err := applyTransfer(st, c.sender, chain.Transfer{To: r.Merchant, Asset: r.Asset, Amount: r.Amount}); err != nil {
			return err
		}
	}
	r.Payment = c.hash
	endRequest(st, r, chain.RequestPaid)
	st.emit(requestEvent(r, chain.EventRequestPaid, payerBank(st, r)))
	return nil
}

func applyDecline(st *State, c txContext, d chain.Decline) error {
	if !chain.ValidReason(d.Reason) {
		return chain.Reject(chain.ErrMalformed, "reason code %q: 1-%d letters, digits, '_' or '-'", d.Reason, chain.MaxDeclineReason)
	}
	r, err := openRequest(st, d.Request, c.sender, rolePayer)
	if err != nil {
		return err
	}
	r.Reason = d.Reason
	endRequest(st, r, chain.RequestDeclined)
	st.emit(requestEvent(r, chain.EventRequestDeclined, payerBank(st, r)))
	return nil
}

func applyCancelRequest(st *State, c txContext, x chain.CancelRequest) error {
	r, err := openRequest(st, x.Request, c.sender, roleMerchant)
	if err != nil {
		return err
	}
	endRequest(st, r, chain.RequestCancelled)
	st.emit(requestEvent(r, chain.EventRequestCancelled, payerBank(st, r)))
	return nil
}

func payerBank(st *State, r *chain.Request) common.Address {
	if a, ok := st.Account(r.Payer); ok {
		return a.Bank
	}
	return common.Address{}
}

// expireRequests ends every open request whose expiry the block's time has
// passed (expiry < block time), at the start of the block like escrow
// expiries, so an accept in the same block finds it expired.
func expireRequests(st *State, limit int) error {
	for _, id := range st.dueRequests(st.block.Time, limit) {
		r, ok := st.Request(id)
		if !ok || r.Status != chain.RequestOpen {
			return fmt.Errorf("request expiry index names request %s, which is not open", id)
		}
		endRequest(st, r, chain.RequestExpired)
		st.emit(requestEvent(r, chain.EventRequestExpired, payerBank(st, r)))
	}
	return st.Err()
}

func requestAccountKey(role byte, a common.Address, height uint64, id common.Hash) []byte {
	return partyIndexKey(kRequestByAccount, role, a, height, id)
}

// indexRequests lists the payer and merchant index entries of the
// requests a block opens.
func indexRequests(b *chain.Block, receipts []*chain.Receipt) []Change {
	return indexParties(b, receipts, chain.EventRequestOpened, kRequestByAccount, rolePayer, roleMerchant)
}

// partyIndexKey is a record's entry in an index by account: prefix ‖ role
// ‖ account ‖ height ‖ id, so that one account's records in one role list
// in the order they were made.
func partyIndexKey(prefix, role byte, a common.Address, height uint64, id common.Hash) []byte {
	k := make([]byte, 0, 2+20+8+32)
	k = append(k, prefix, role)
	k = append(k, a[:]...)
	k = binary.BigEndian.AppendUint64(k, height)
	return append(k, id[:]...)
}

// indexParties lists the index entries (under prefix) of the records that
// the block's events of kind make: Accounts[0] in role0, Accounts[1] in
// role1.
func indexParties(b *chain.Block, receipts []*chain.Receipt, kind string, prefix, role0, role1 byte) []Change {
	var out []Change
	for _, r := range receipts {
		for _, ev := range r.Events {
			if ev.Kind != kind {
				continue
			}
			out = append(out,
				Change{Key: partyIndexKey(prefix, role0, ev.Accounts[0], b.Height(), ev.Record), Value: []byte{}},
				Change{Key: partyIndexKey(prefix, role1, ev.Accounts[1], b.Height(), ev.Record), Value: []byte{}})
		}
	}
	return out
}

// Request reads a committed request.
func (l *Ledger) Request(id common.Hash) (*chain.Request, bool, error) {
	st := l.State()
	r, ok := st.Request(id)
	return r, ok, st.Err()
}

// Requests lists the requests addressed to q.Payer or made by q.Merchant,
// newest first.
func (l *Ledger) Requests(q chain.RequestQuery) ([]*chain.Request, error) {
	var role byte
	var who common.Address
	switch {
	case (q.Payer == nil) == (q.Merchant == nil):
		return nil, fmt.Errorf("list requests by exactly one of payer and merchant")
	case q.Payer != nil:
		role, who = rolePayer, *q.Payer
	default:
		role, who = roleMerchant, *q.Merchant
	}
	st := l.State()
	return listByParty(l, st, kRequestByAccount, role, who, q.Limit, "request", st.Request,
		func(r *chain.Request) bool { return q.Status == 0 || r.Status == q.Status })
}

// listByParty reads an index by account (partyIndexKey) for who in role,
// newest first, loads each record with load and keeps those keep accepts,
// at most limit of them (default 100).
func listByParty[T any](l *Ledger, st *State, prefix, role byte, who common.Address, limit int, what string,
	load func(common.Hash) (T, bool), keep func(T) bool) ([]T, error) {
	if limit <= 0 {
		limit = 100
	}
	start := append([]byte{prefix, role}, who[:]...)
	end := append(append([]byte(nil), start...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	var out []T
	var ierr error
	err := l.store.scan(start, end, true, func(k, _ []byte) bool {
		id := common.BytesToHash(k[len(k)-32:])
		rec, ok := load(id)
		if !ok {
			ierr = fmt.Errorf("%s index names %s, which is not in state", what, id)
			return false
		}
		if keep(rec) {
			out = append(out, rec)
		}
		return len(out) < limit
	})
	if err == nil {
		err = ierr
	}
	if err == nil {
		err = st.Err()
	}
	return out, err
}
