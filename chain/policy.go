package chain

import (
	"bytes"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// Account policies (docs/POLICIES.md, docs/adr/0050-account-policies.md):
// verification tiers by amount, guardians with a threshold, a supervisor,
// and a rule that a first payment to a new payee needs the guardians. A
// policy binds every debit its account makes; the servicing bank sets it,
// and the account itself may only tighten it (Policy.TighterThan).

// TxSetPolicy sets an account's policy.
const TxSetPolicy TxType = 20

// Limits on a policy, so that every requirement it can make fits in one
// transaction envelope: the sender, the verification key, the supervisor
// and the guardians' threshold together sign at most MaxTxSigs times.
const (
	MaxPolicyTiers     = 16
	MaxPolicyGuardians = 16
	MaxGuardianSigs    = MaxTxSigs - 3
)

// Tier sorts one asset's debits by amount: up to Small is small, up to
// Normal is normal, above Normal is large.
type Tier struct {
	Asset  string
	Small  uint64
	Normal uint64
}

// Verification levels a debit can need, in increasing strength.
type Level uint8

const (
	LevelSmall  Level = 1 // the sender's signature
	LevelNormal Level = 2 // and the account's verification key
	LevelLarge  Level = 3 // and the guardians' threshold and the supervisor
)

func (l Level) String() string {
	switch l {
	case LevelSmall:
		return "small"
	case LevelNormal:
		return "normal"
	case LevelLarge:
		return "large"
	}
	return "level_unknown"
}

// Policy is an account's policy, stored under PolicyKey. An account without
// one (the zero policy) is bound by nothing beyond its withdrawal key.
type Policy struct {
	Tiers     []Tier           // sorted by asset, one per asset; an asset without a tier is unrestricted
	Guardians []common.Address // sorted, distinct
	Threshold uint64           // m of len(Guardians); 0 exactly when there are no guardians
	// Supervisor, when set, must approve every large debit, besides the
	// guardians' threshold.
	Supervisor common.Address
	// NewPayeeNeedsGuardian: the first debit to a payee the account has not
	// paid since the rule was on needs the guardians' threshold, whatever
	// the amount. Debits with no payee on chain (withdraw, burn) always do.
	NewPayeeNeedsGuardian bool
}

// SetPolicy sets Account's policy to Policy. Sent by the account's
// servicing bank, any valid policy; sent by the account itself, only one
// at least as tight as the current one. The zero policy removes it.
type SetPolicy struct {
	Account common.Address
	Policy  Policy
}

func (SetPolicy) TxType() TxType { return TxSetPolicy }

// PrefixPolicy and PrefixPayee are the state key prefixes of policies and
// of the payees a policy-bound account has paid.
const (
	PrefixPolicy = 'y'
	PrefixPayee  = 'Y'
)

// PolicyKey is the state key of an account's policy.
func PolicyKey(a common.Address) []byte { return append([]byte{PrefixPolicy}, a[:]...) }

// PayeeKey is the state key that records that account has paid payee
// under the new-payee rule.
func PayeeKey(account, payee common.Address) []byte {
	k := append([]byte{PrefixPayee}, account[:]...)
	return append(k, payee[:]...)
}

// KnownPayee is the state value under PayeeKey: when the account first
// paid the payee with the new-payee rule on.
type KnownPayee struct {
	Height uint64
}

// Policy rejections.
var (
	ErrVerificationKeyRequired   = &RejectError{"verification_key_required"}
	ErrGuardianSignatureRequired = &RejectError{"guardian_signature_required"}
	ErrSupervisorApprovalNeeded  = &RejectError{"supervisor_approval_required"}
	ErrPolicyLoosened            = &RejectError{"policy_loosened"}
	ErrBadPolicy                 = &RejectError{"bad_policy"}
	// Purchase sub-accounts (chain/subaccount.go).
	ErrSubAccountLimit    = &RejectError{"sub_account_limit"}
	ErrMerchantNotAllowed = &RejectError{"merchant_not_allowed"}
)

func init() {
	AllRejectCodes = append(AllRejectCodes,
		ErrVerificationKeyRequired, ErrGuardianSignatureRequired, ErrSupervisorApprovalNeeded,
		ErrPolicyLoosened, ErrBadPolicy, ErrSubAccountLimit, ErrMerchantNotAllowed)
	txTypeNames[TxSetPolicy] = "set_policy"
	bodyDecoders[TxSetPolicy] = decodeAs[SetPolicy]
}

// EventPolicySet is the event of a policy set or removed.
const EventPolicySet = "policy_set"

// IsZero reports whether p binds nothing: no policy.
func (p *Policy) IsZero() bool {
	return len(p.Tiers) == 0 && len(p.Guardians) == 0 && p.Threshold == 0 &&
		p.Supervisor == (common.Address{}) && !p.NewPayeeNeedsGuardian
}

// Validate checks p's form, naming what is wrong (bad_policy): tiers sorted
// and distinct with Small <= Normal, guardians sorted and distinct and
// neither the account nor its supervisor, a threshold between 1 and the
// number of guardians (0 with none) that fits in an envelope, and the
// new-payee rule only with guardians to satisfy it.
func (p *Policy) Validate(account common.Address) error {
	if len(p.Tiers) > MaxPolicyTiers {
		return Reject(ErrBadPolicy, "%d tiers, limit %d", len(p.Tiers), MaxPolicyTiers)
	}
	for i, t := range p.Tiers {
		if t.Asset == "" {
			return Reject(ErrBadPolicy, "tier %d names no asset", i)
		}
		if i > 0 && p.Tiers[i-1].Asset >= t.Asset {
			return Reject(ErrBadPolicy, "tiers must be sorted by asset, one per asset (%q after %q)", t.Asset, p.Tiers[i-1].Asset)
		}
		if t.Small > t.Normal {
			return Reject(ErrBadPolicy, "%s: small limit %d above normal limit %d", t.Asset, t.Small, t.Normal)
		}
	}
	if len(p.Guardians) > MaxPolicyGuardians {
		return Reject(ErrBadPolicy, "%d guardians, limit %d", len(p.Guardians), MaxPolicyGuardians)
	}
	for i, g := range p.Guardians {
		switch {
		case g == (common.Address{}):
			return Reject(ErrBadPolicy, "guardian %d is the zero address", i)
		case g == account:
			return Reject(ErrBadPolicy, "the account cannot be its own guardian")
		case g == p.Supervisor:
			return Reject(ErrBadPolicy, "the supervisor cannot also be a guardian")
		case i > 0 && bytes.Compare(p.Guardians[i-1][:], g[:]) >= 0:
			return Reject(ErrBadPolicy, "guardians must be sorted and distinct (%s after %s)", g, p.Guardians[i-1])
		}
	}
	n := uint64(len(p.Guardians))
	switch {
	case n == 0 && p.Threshold != 0:
		return Reject(ErrBadPolicy, "threshold %d with no guardians", p.Threshold)
	case n > 0 && (p.Threshold == 0 || p.Threshold > n):
		return Reject(ErrBadPolicy, "threshold %d of %d guardians: must be 1-%d", p.Threshold, n, n)
	case p.Threshold > MaxGuardianSigs:
		return Reject(ErrBadPolicy, "threshold %d: at most %d guardians fit in a transaction beside the sender, verification key and supervisor", p.Threshold, MaxGuardianSigs)
	case p.NewPayeeNeedsGuardian && n == 0:
		return Reject(ErrBadPolicy, "the new-payee rule needs guardians")
	case p.Supervisor == account:
		return Reject(ErrBadPolicy, "the account cannot be its own supervisor")
	}
	return nil
}

// TierOf returns the verification level of a debit of amount of asset.
func (p *Policy) TierOf(asset string, amount uint64) Level {
	i := sort.Search(len(p.Tiers), func(i int) bool { return p.Tiers[i].Asset >= asset })
	if i == len(p.Tiers) || p.Tiers[i].Asset != asset {
		return LevelSmall // an asset the policy does not tier is unrestricted
	}
	switch t := p.Tiers[i]; {
	case amount <= t.Small:
		return LevelSmall
	case amount <= t.Normal:
		return LevelNormal
	}
	return LevelLarge
}

// IsGuardian reports whether a is one of p's guardians.
func (p *Policy) IsGuardian(a common.Address) bool {
	i := sort.Search(len(p.Guardians), func(i int) bool { return bytes.Compare(p.Guardians[i][:], a[:]) >= 0 })
	return i < len(p.Guardians) && p.Guardians[i] == a
}

// TighterThan reports whether p is at least as tight as old: every debit
// p allows with some co-signers, old allows too (with those of them it
// gives a role: old refuses a co-signer it does not know, such as a
// guardian only p names, as a stranger). Precisely:
//
//   - tiers: every asset old tiers, p tiers with limits no higher (p may
//     tier more assets);
//   - guardians: any co-signers meeting p's threshold meet old's: with
//     old's threshold m over G and p's m' over G', the m' least helpful
//     guardians of G' still include m of G, that is m' - |G' \ G| >= m
//     (adding a guardian needs the threshold raised by one; removing one
//     is always tighter);
//   - the supervisor: kept if old has one, may be added if not;
//   - the new-payee rule: may be turned on, never off.
//
// The zero policy is the loosest: every valid policy is tighter.
func (p *Policy) TighterThan(old *Policy) bool {
	for _, ot := range old.Tiers {
		i := sort.Search(len(p.Tiers), func(i int) bool { return p.Tiers[i].Asset >= ot.Asset })
		if i == len(p.Tiers) || p.Tiers[i].Asset != ot.Asset || p.Tiers[i].Small > ot.Small || p.Tiers[i].Normal > ot.Normal {
			return false
		}
	}
	if old.Threshold > 0 {
		added := uint64(0)
		for _, g := range p.Guardians {
			if !old.IsGuardian(g) {
				added++
			}
		}
		if p.Threshold < added || p.Threshold-added < old.Threshold {
			return false
		}
	}
	if old.Supervisor != (common.Address{}) && p.Supervisor != old.Supervisor {
		return false
	}
	return p.NewPayeeNeedsGuardian || !old.NewPayeeNeedsGuardian
}
