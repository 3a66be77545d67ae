package chain

import (
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// Account is one ledger account: the bank that services it, its nonce, and
// a balance per asset.
type Account struct {
	Bank     common.Address // servicing bank; a bank services itself
	Nonce    uint64         // next expected transaction nonce
	Balances []Balance      // sorted by asset symbol

	// Locks itemise every Balance.Locked: released escrow funds inside
	// their protection period, in the order they were released.
	Locks []Lock `rlp:"optional"`
	// WithdrawalKey, when set, must co-sign every withdraw (and any change
	// of the key itself): the seed's withdrawal password.
	WithdrawalKey common.Address `rlp:"optional"`
}

// Lock is an amount released to the account that becomes available at
// UnlockAt (block time, milliseconds). Releases due in the same unlock
// bucket share one lock (see addLock), so a busy payee's account stays
// small.
type Lock struct {
	Asset    string
	Amount   uint64
	UnlockAt uint64
}

// LockBuckets is how many unlock times a protection period is divided into:
// an unlock time is rounded up to a multiple of period/LockBuckets, so an
// account holds at most about that many locks per asset however many
// payments it receives.
const LockBuckets = 64

// UnlockTime is when funds released at now unlock: now + period, rounded up
// to the bucket.
func UnlockTime(now, period uint64) uint64 {
	t := now + period
	if g := period / LockBuckets; g > 1 {
		t = (t + g - 1) / g * g
	}
	return t
}

// AddLock adds amount of asset unlocking at t to the account's locks
// (Balance.Locked is the caller's), merging with a lock of the same time.
func (a *Account) AddLock(asset string, amount, t uint64) {
	for i := range a.Locks {
		if a.Locks[i].Asset == asset && a.Locks[i].UnlockAt == t {
			a.Locks[i].Amount += amount // bounded by Locked, which did not overflow
			return
		}
	}
	a.Locks = append(a.Locks, Lock{Asset: asset, Amount: amount, UnlockAt: t})
}

// Mature moves every lock whose time has come (UnlockAt <= now) from locked
// to available. It is a pure function of the stored account and the block
// time, so every node computes the same; the result reaches the state root
// when a rule writes the account.
func (a *Account) Mature(now uint64) {
	if len(a.Locks) == 0 || now == 0 {
		return
	}
	kept := a.Locks[:0:0]
	for _, l := range a.Locks {
		if l.UnlockAt > now {
			kept = append(kept, l)
			continue
		}
		b := a.Balance(l.Asset)
		b.Locked -= l.Amount    // Locked is the sum of the locks: cannot underflow
		b.Available += l.Amount // Available+Locked did not overflow before
		a.SetBalance(b)
	}
	if len(kept) == 0 {
		kept = nil
	}
	a.Locks = kept
}

// Balance is an account's holding of one asset, in minor units.
type Balance struct {
	Asset     string
	Available uint64 // spendable
	Held      uint64 // frozen for open escrows
	Locked    uint64 // released to the account, inside its protection period
}

// Balance returns the account's balance of asset (zero if none).
func (a *Account) Balance(asset string) Balance {
	i := a.find(asset)
	if i < len(a.Balances) && a.Balances[i].Asset == asset {
		return a.Balances[i]
	}
	return Balance{Asset: asset}
}

// SetBalance stores b, keeping Balances sorted and dropping all-zero rows so
// that equal ledgers encode equally.
func (a *Account) SetBalance(b Balance) {
	i := a.find(b.Asset)
	present := i < len(a.Balances) && a.Balances[i].Asset == b.Asset
	empty := b.Available == 0 && b.Held == 0 && b.Locked == 0
	switch {
	case present && empty:
		a.Balances = append(a.Balances[:i], a.Balances[i+1:]...)
	case present:
		a.Balances[i] = b
	case !empty:
		a.Balances = append(a.Balances, Balance{})
		copy(a.Balances[i+1:], a.Balances[i:])
		a.Balances[i] = b
	}
}

func (a *Account) find(asset string) int {
	return sort.Search(len(a.Balances), func(i int) bool { return a.Balances[i].Asset >= asset })
}

// Copy returns a deep copy, so a rule can change it and drop it on rejection.
func (a *Account) Copy() *Account {
	c := *a
	c.Balances = append([]Balance(nil), a.Balances...)
	if a.Locks != nil {
		c.Locks = append([]Lock(nil), a.Locks...)
	}
	return &c
}

// AssetInfo is an asset's definition and running supply.
type AssetInfo struct {
	Symbol   string
	Decimals uint8
	Issuers  []common.Address
	Minted   uint64
	Burned   uint64
}

// IsIssuer reports whether bank may mint and burn the asset.
func (a *AssetInfo) IsIssuer(bank common.Address) bool {
	for _, is := range a.Issuers {
		if is == bank {
			return true
		}
	}
	return false
}

// BankInfo is a member bank.
type BankInfo struct {
	Address common.Address
	Name    string
	// PubKey is the bank's uncompressed secp256k1 public key (65 bytes):
	// wallets encrypt payout details to it. From genesis, or recovered from
	// the bank's first transaction.
	PubKey []byte `rlp:"optional"`
}

// ValidatorState is what the ledger tracks per validator: the last reveal it
// published, which its next reveal must hash to.
type ValidatorState struct {
	LastReveal common.Hash
	Reveals    uint64      // how many reveals of its current chain it has published
	Length     uint64      // reveals in its current chain; when all are used the next chain takes over
	NextTip    common.Hash `rlp:"optional"` // tip of the next chain, committed in advance (zero: none yet)
	NextLength uint64      `rlp:"optional"`
}

// Spent reports whether every reveal of the current chain is used.
func (v *ValidatorState) Spent() bool { return v.Reveals >= v.Length }

// State keys. The flat store and the state commitment use the same keys; the
// commitment's trie path is Keccak-256 of the key, so proofs are for
// Keccak(key).
const (
	PrefixAccount   = 'a'
	PrefixAsset     = 'A'
	PrefixBank      = 'b'
	PrefixValidator = 'v'
	PrefixMeta      = 'm'
	PrefixEscrow    = 'e'
	PrefixPayout    = 'p'
	PrefixEvidence  = 'x'
)

// AccountKey is the state key of an account.
func AccountKey(a common.Address) []byte { return append([]byte{PrefixAccount}, a[:]...) }

// AssetKey is the state key of an asset.
func AssetKey(symbol string) []byte { return append([]byte{PrefixAsset}, symbol...) }

// BankKey is the state key of a member bank.
func BankKey(a common.Address) []byte { return append([]byte{PrefixBank}, a[:]...) }

// ValidatorKey is the state key of a validator's reveal state.
func ValidatorKey(a common.Address) []byte { return append([]byte{PrefixValidator}, a[:]...) }

// SeedKey holds the current sovereign-key seed s_h in state, so the seed is
// committed by the state root and an auditor re-derives every holder.
var SeedKey = []byte{PrefixMeta, 's'}
