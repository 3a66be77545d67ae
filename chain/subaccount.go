package chain

import (
	"bytes"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// Purchase sub-accounts (docs/POLICIES.md, docs/adr/0052-purchase-sub-accounts.md):
// a main account (or its bank) creates a separate account for purchases,
// with a spending limit per asset and period of block time and an optional
// list of allowed merchants. The main account funds it by transfer; it can
// freeze it, change its limits, or close it, which returns what remains.

// Transaction types of purchase sub-accounts.
const (
	TxCreateSubAccount = TxType(24)
	TxSetSubAccount    = TxType(25)
	TxFreezeSubAccount = TxType(26)
	TxCloseSubAccount  = TxType(27)
)

// Limits on a sub-account's terms.
const (
	MaxSubAccountLimits    = 16
	MaxSubAccountMerchants = 64
)

// SubLimit is how much of Asset a sub-account may spend per Period (block
// time, ms). Periods are consecutive windows from the sub-account's
// creation, so each resets at a time every node computes alike.
type SubLimit struct {
	Asset  string
	Amount uint64
	Period uint64
}

// SubTerms are what a sub-account may spend and where. An asset without a
// limit cannot be spent from it at all; an empty merchant list allows any
// payee (but a withdraw, having no payee on chain, only then).
type SubTerms struct {
	Limits    []SubLimit       // sorted by asset, one per asset
	Merchants []common.Address // sorted, distinct; empty: any
	// Draw is the funding rule: false, the main account tops the
	// sub-account up by transfer; true, a purchase the sub-account's own
	// balance does not cover draws the rest from the main account, within
	// the limit (docs/adr/0053-sub-account-draw.md).
	Draw bool `rlp:"optional"`
}

// CreateSubAccount creates Sub, a new account serviced by Main's bank, as
// Main's purchase sub-account. Sent by Main or its servicing bank.
type CreateSubAccount struct {
	Main  common.Address
	Sub   common.Address
	Terms SubTerms
}

// SetSubAccount replaces a sub-account's terms (its spending so far in
// the running periods counts against the new limits). Sent by its main
// account or the main account's bank.
type SetSubAccount struct {
	Sub   common.Address
	Terms SubTerms
}

// FreezeSubAccount freezes (Frozen true) or thaws a sub-account: a frozen
// one makes no debit.
type FreezeSubAccount struct {
	Sub    common.Address
	Frozen bool
}

// CloseSubAccount closes a sub-account for good: its available funds
// return to the main account. It must hold no escrowed or locked funds.
type CloseSubAccount struct {
	Sub common.Address
}

func (CreateSubAccount) TxType() TxType { return TxCreateSubAccount }
func (SetSubAccount) TxType() TxType    { return TxSetSubAccount }
func (FreezeSubAccount) TxType() TxType { return TxFreezeSubAccount }
func (CloseSubAccount) TxType() TxType  { return TxCloseSubAccount }

// SubSpent is what a sub-account spent of Asset in period number Period.
type SubSpent struct {
	Asset  string
	Period uint64
	Amount uint64
}

// SubAccount is the state of a purchase sub-account, under SubAccountKey.
type SubAccount struct {
	Main    common.Address
	Terms   SubTerms
	Created uint64 // block time (ms): periods count from here
	Frozen  bool
	Closed  bool
	Spent   []SubSpent // the running period's spending per asset, sorted by asset
}

// PrefixSubAccount is the state key prefix of sub-accounts.
const PrefixSubAccount = 'z'

// SubAccountKey is the state key of a sub-account.
func SubAccountKey(a common.Address) []byte { return append([]byte{PrefixSubAccount}, a[:]...) }

// Sub-account rejections (ErrSubAccountLimit and ErrMerchantNotAllowed are
// in policy.go).
var (
	ErrSubAccountFrozen = &RejectError{"sub_account_frozen"}
	ErrSubAccountClosed = &RejectError{"sub_account_closed"}
	ErrSubAccountBusy   = &RejectError{"sub_account_busy"}
	ErrNotSubAccount    = &RejectError{"not_sub_account"}
)

// Sub-account events. Accounts: the sub-account, then the main account.
const (
	EventSubAccountCreated = "sub_account_created"
	EventSubAccountChanged = "sub_account_changed"
	EventSubAccountClosed  = "sub_account_closed"
)

func init() {
	AllRejectCodes = append(AllRejectCodes, ErrSubAccountFrozen, ErrSubAccountClosed, ErrSubAccountBusy, ErrNotSubAccount)
	for t, n := range map[TxType]string{TxCreateSubAccount: "create_sub_account", TxSetSubAccount: "set_sub_account",
		TxFreezeSubAccount: "freeze_sub_account", TxCloseSubAccount: "close_sub_account"} {
		txTypeNames[t] = n
	}
	bodyDecoders[TxCreateSubAccount] = decodeAs[CreateSubAccount]
	bodyDecoders[TxSetSubAccount] = decodeAs[SetSubAccount]
	bodyDecoders[TxFreezeSubAccount] = decodeAs[FreezeSubAccount]
	bodyDecoders[TxCloseSubAccount] = decodeAs[CloseSubAccount]
}

// Validate checks the terms' form (malformed): limits sorted, one per
// asset, each with a positive period; merchants sorted, distinct, not zero.
func (t *SubTerms) Validate() error {
	if len(t.Limits) > MaxSubAccountLimits || len(t.Merchants) > MaxSubAccountMerchants {
		return Reject(ErrMalformed, "at most %d limits and %d merchants", MaxSubAccountLimits, MaxSubAccountMerchants)
	}
	for i, l := range t.Limits {
		if l.Asset == "" || l.Period == 0 {
			return Reject(ErrMalformed, "limit %d needs an asset and a positive period", i)
		}
		if i > 0 && t.Limits[i-1].Asset >= l.Asset {
			return Reject(ErrMalformed, "limits must be sorted by asset, one per asset")
		}
	}
	for i, m := range t.Merchants {
		if m == (common.Address{}) || i > 0 && bytes.Compare(t.Merchants[i-1][:], m[:]) >= 0 {
			return Reject(ErrMalformed, "merchants must be sorted, distinct and not zero")
		}
	}
	return nil
}

// Limit returns the limit of asset; ok false when the sub-account may not
// spend it.
func (t *SubTerms) Limit(asset string) (SubLimit, bool) {
	i := sort.Search(len(t.Limits), func(i int) bool { return t.Limits[i].Asset >= asset })
	if i < len(t.Limits) && t.Limits[i].Asset == asset {
		return t.Limits[i], true
	}
	return SubLimit{}, false
}

// Allows reports whether the merchant list allows paying payee (zero: a
// debit with no payee on chain).
func (t *SubTerms) Allows(payee common.Address) bool {
	if len(t.Merchants) == 0 {
		return true
	}
	i := sort.Search(len(t.Merchants), func(i int) bool { return bytes.Compare(t.Merchants[i][:], payee[:]) >= 0 })
	return payee != (common.Address{}) && i < len(t.Merchants) && t.Merchants[i] == payee
}

// Period is the number of the period of asset's limit running at now, and
// when it resets (block time, ms).
func (s *SubAccount) Period(l SubLimit, now uint64) (n, resetAt uint64) {
	if now < s.Created {
		now = s.Created
	}
	n = (now - s.Created) / l.Period
	return n, s.Created + (n+1)*l.Period
}

// Remaining is how much of asset the sub-account may still spend at now,
// and when its period resets; ok false when it may not spend the asset.
func (s *SubAccount) Remaining(asset string, now uint64) (remaining, resetAt uint64, ok bool) {
	l, ok := s.Terms.Limit(asset)
	if !ok {
		return 0, 0, false
	}
	n, resetAt := s.Period(l, now)
	spent := s.SpentIn(asset, n)
	if spent >= l.Amount {
		return 0, resetAt, true
	}
	return l.Amount - spent, resetAt, true
}

// SpentIn is what the sub-account spent of asset in period n.
func (s *SubAccount) SpentIn(asset string, n uint64) uint64 {
	for _, sp := range s.Spent {
		if sp.Asset == asset && sp.Period == n {
			return sp.Amount
		}
	}
	return 0
}

// AddSpent records amount of asset spent in period n, forgetting the
// asset's earlier periods.
func (s *SubAccount) AddSpent(asset string, n, amount uint64) {
	for i := range s.Spent {
		if s.Spent[i].Asset == asset {
			if s.Spent[i].Period != n {
				s.Spent[i].Period, s.Spent[i].Amount = n, 0
			}
			s.Spent[i].Amount += amount // bounded by the limit, which is a uint64
			return
		}
	}
	s.Spent = append(s.Spent, SubSpent{Asset: asset, Period: n, Amount: amount})
	sort.Slice(s.Spent, func(i, j int) bool { return s.Spent[i].Asset < s.Spent[j].Asset })
}
