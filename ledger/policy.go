package ledger

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Account policies (docs/POLICIES.md): the state, the set_policy rule, and
// checkPolicy, the one check every debit passes.

// Policy returns a copy of the account's policy; the zero policy when it
// has none.
func (s *State) Policy(a common.Address) *chain.Policy {
	p, ok := load[chain.Policy](s, chain.PolicyKey(a))
	if !ok {
		return &chain.Policy{}
	}
	c := *p
	c.Tiers = append([]chain.Tier(nil), p.Tiers...)
	c.Guardians = append([]common.Address(nil), p.Guardians...)
	return &c
}

// SetPolicy stores the account's policy; the zero policy removes it, so an
// account without a policy has no key at all.
func (s *State) SetPolicy(a common.Address, p *chain.Policy) {
	if p.IsZero() {
		s.del(chain.PolicyKey(a))
		return
	}
	s.put(chain.PolicyKey(a), p)
}

// knownPayee reports whether account has paid payee under the new-payee
// rule.
func (s *State) knownPayee(account, payee common.Address) bool {
	_, ok := load[chain.KnownPayee](s, chain.PayeeKey(account, payee))
	return ok
}

// precheckSetPolicy is set_policy's part of precheck: the policy's form
// and its assets, which no transaction changes.
func precheckSetPolicy(st *State, s chain.SetPolicy) error {
	if s.Account == (common.Address{}) {
		return chain.Reject(chain.ErrMalformed, "account address is zero")
	}
	if err := s.Policy.Validate(s.Account); err != nil {
		return err
	}
	for _, t := range s.Policy.Tiers {
		if err := checkAsset(st, t.Asset); err != nil {
			return err
		}
	}
	return nil
}

// applySetPolicy sets an account's policy: any valid policy when the
// account's servicing bank sends it, only a tighter one when the account
// does (policy_loosened otherwise), nobody else (not_authorized). The
// guardians and the supervisor must be registered accounts.
func applySetPolicy(st *State, c txContext, s chain.SetPolicy) error {
	acct, ok := st.Account(s.Account)
	if !ok {
		return chain.Reject(chain.ErrUnknownAccount, "account %s", s.Account)
	}
	switch c.sender {
	case acct.Bank:
	case s.Account:
		if !s.Policy.TighterThan(st.Policy(s.Account)) {
			return chain.Reject(chain.ErrPolicyLoosened, "an account may only tighten its policy; its servicing bank %s may change it", acct.Bank)
		}
	default:
		return chain.Reject(chain.ErrNotAuthorized, "only %s's servicing bank or the account itself sets its policy", s.Account)
	}
	parties := append([]common.Address{s.Account}, s.Policy.Guardians...)
	if s.Policy.Supervisor != (common.Address{}) {
		parties = append(parties, s.Policy.Supervisor)
	}
	for _, a := range parties[1:] {
		if !st.hasAccount(a) {
			return chain.Reject(chain.ErrUnknownAccount, "guardian or supervisor %s", a)
		}
	}
	p := s.Policy
	st.SetPolicy(s.Account, &p)
	st.emit(chain.Event{Kind: chain.EventPolicySet, Record: c.hash, Accounts: parties, Bank: acct.Bank})
	return nil
}

// debit is what an account policy judges: a debit of the sender's
// available balance, and whom it pays (payee zero: no payee on chain, as
// for a withdraw, whose bank account is encrypted, or a burn).
type debit struct {
	asset  string
	amount uint64
	payee  common.Address
}

// debitOf names the debit a body makes, if any: the bodies chain.DebitOf
// lists, with the payee each names. An accept of a request that does not
// exist debits nothing; its rule refuses it.
func debitOf(st *State, body chain.Body) (debit, bool) {
	asset, amount := chain.DebitOf(body)
	if amount == 0 {
		return debit{}, false
	}
	d := debit{asset: asset, amount: amount}
	switch b := body.(type) {
	case chain.Transfer:
		d.payee = b.To
	case chain.Hold:
		d.payee = b.Payee
	case chain.Accept:
		r, ok := st.Request(b.Request)
		if !ok {
			return debit{}, false
		}
		d.payee = r.Merchant
	}
	return d, true
}

// checkPolicy is the one check of the sender's policy on a debit, run by
// applyBody before the debiting rule (transfer, burn, hold, withdraw,
// accept in either settlement mode). A release only moves funds a hold
// already took, under the authorization the hold was checked with.
//
// Every co-signer must have a role on the account: its verification key
// (the withdrawal key), a guardian or the supervisor. Then, by the debit's
// tier: small needs nothing more; normal the verification key
// (verification_key_required, also when the account has none); large the
// verification key, the guardians' threshold (guardian_signature_required)
// and, where the policy names one, the supervisor
// (supervisor_approval_required). The new-payee rule adds the guardians'
// threshold to any debit to a payee not paid before. First of all, a
// debit from a purchase sub-account must keep to its terms
// (checkSubAccount).
func checkPolicy(st *State, c txContext, d debit) error {
	if err := checkSubAccount(st, c.sender, d); err != nil {
		return err
	}
	acct, _ := st.Account(c.sender)
	p := st.Policy(c.sender)
	key := acct.WithdrawalKey
	guardians, keySigned, supervisorSigned := uint64(0), false, false
	for _, co := range c.cosigners {
		switch {
		case key != (common.Address{}) && co == key:
			keySigned = true
		case p.IsGuardian(co):
			guardians++
		case p.Supervisor != (common.Address{}) && co == p.Supervisor:
			supervisorSigned = true
		default:
			return chain.Reject(chain.ErrNotAuthorized, "co-signer %s is not %s's verification key, a guardian or its supervisor", co, c.sender)
		}
	}
	level := p.TierOf(d.asset, d.amount)
	if level >= chain.LevelNormal {
		if key == (common.Address{}) {
			return chain.Reject(chain.ErrVerificationKeyRequired, "a %s debit of %d %s needs a verification key, and %s has none", level, d.amount, d.asset, c.sender)
		}
		if !keySigned {
			return chain.Reject(chain.ErrVerificationKeyRequired, "a %s debit of %d %s needs the verification key %s's co-signature", level, d.amount, d.asset, key)
		}
	}
	newPayee := p.NewPayeeNeedsGuardian && (d.payee == (common.Address{}) || !st.knownPayee(c.sender, d.payee))
	if (level == chain.LevelLarge || newPayee) && guardians < p.Threshold {
		why := "a large debit"
		if level != chain.LevelLarge {
			why = "a first payment to a new payee"
		}
		return chain.Reject(chain.ErrGuardianSignatureRequired, "%s needs %d of the guardians' co-signatures, has %d", why, p.Threshold, guardians)
	}
	if level == chain.LevelLarge && p.Supervisor != (common.Address{}) && !supervisorSigned {
		return chain.Reject(chain.ErrSupervisorApprovalNeeded, "a large debit of %d %s needs the supervisor %s's approval", d.amount, d.asset, p.Supervisor)
	}
	return nil
}

// afterDebit records what a debit that succeeded counts for: its payee
// under the new-payee rule, and a sub-account's spending.
func afterDebit(st *State, account common.Address, d debit) {
	notePayee(st, account, d)
	noteSubAccountSpend(st, account, d)
}

// notePayee records, after a debit succeeded, that the sender has paid its
// payee, when its policy's new-payee rule is on: later payments to that
// payee are no longer first payments.
func notePayee(st *State, account common.Address, d debit) {
	if d.payee == (common.Address{}) || !st.Policy(account).NewPayeeNeedsGuardian || st.knownPayee(account, d.payee) {
		return
	}
	st.put(chain.PayeeKey(account, d.payee), &chain.KnownPayee{Height: st.block.Height})
}
