package ledger

import (
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// KV reads committed state values by key. It returns (nil, nil) for a key
// that is absent; any error is a storage failure.
type KV interface {
	Get(key []byte) ([]byte, error)
	// DueEscrows finds open escrows whose expiry is before a block time, in
	// expiry order. It is a secondary index over committed state: the store
	// keeps it beside the state (index.go), MemKV computes it by scanning.
	DueEscrows(before uint64, fn func(id common.Hash) bool) error
	// DueRequests is the same for open payment requests (request.go).
	DueRequests(before uint64, fn func(id common.Hash) bool) error
}

// Change is one state write: Value nil means delete.
type Change struct {
	Key   []byte
	Value []byte
}

// State is a block's working view of the ledger: reads fall through to the
// committed state, writes stay here until Changes hands them to the commit.
// Decoded objects are cached so a hot account is decoded once per block.
type State struct {
	base    KV
	objects map[string]any  // decoded values read or written in this block
	dirty   map[string]bool // keys written in this block
	err     error           // first storage failure; sticky, so rules can stay short
	block   BlockContext    // the block being executed: its height, time and the chain's params
	events  []chain.Event   // emitted by the rule running now; ApplyTx moves them into its receipt
}

// BlockContext is what a rule may know about the block it runs in. Time is
// the header's time (milliseconds), agreed by consensus: nothing in the
// ledger reads a clock.
type BlockContext struct {
	Height uint64
	Time   uint64
	Params chain.Params
	// GenesisValidators is the genesis validator set: the set in force
	// until the first change in the set history (governance.go).
	GenesisValidators *chain.ValidatorSet
}

// SetBlock tells the state which block it executes in. Reads of accounts
// then see locked funds whose protection period ended by Time as available.
func (s *State) SetBlock(ctx BlockContext) { s.block = ctx }

// Block is the block context set by SetBlock.
func (s *State) Block() BlockContext { return s.block }

// emit records an event of the rule running now.
func (s *State) emit(ev chain.Event) { s.events = append(s.events, ev) }

// takeEvents returns and clears the events emitted since the last call.
func (s *State) takeEvents() []chain.Event {
	ev := s.events
	s.events = nil
	return ev
}

// NewState starts a working state over committed state base.
func NewState(base KV) *State {
	return &State{base: base, objects: make(map[string]any), dirty: make(map[string]bool)}
}

// Err is the first storage failure the state met. A block whose execution
// met one must not be committed.
func (s *State) Err() error { return s.err }

// load decodes key into a fresh *T, caching it. ok is false when absent.
func load[T any](s *State, key []byte) (*T, bool) {
	if v, hit := s.objects[string(key)]; hit {
		t, _ := v.(*T)
		return t, t != nil
	}
	raw, err := s.base.Get(key)
	if err != nil {
		s.fail(fmt.Errorf("read state %x: %w", key, err))
		return nil, false
	}
	if raw == nil {
		s.objects[string(key)] = (*T)(nil)
		return nil, false
	}
	t := new(T)
	if err := rlp.DecodeBytes(raw, t); err != nil {
		s.fail(fmt.Errorf("decode state %x: %w", key, err))
		return nil, false
	}
	s.objects[string(key)] = t
	return t, true
}

func (s *State) put(key []byte, v any) {
	s.objects[string(key)] = v
	s.dirty[string(key)] = true
}

func (s *State) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// Account returns a copy of the account, safe to change; ok false if absent.
func (s *State) Account(a common.Address) (*chain.Account, bool) {
	acct, ok := load[chain.Account](s, chain.AccountKey(a))
	if !ok {
		return nil, false
	}
	c := acct.Copy()
	c.Mature(s.block.Time)
	return c, true
}

// hasAccount reports whether a is registered, without copying it.
func (s *State) hasAccount(a common.Address) bool {
	_, ok := load[chain.Account](s, chain.AccountKey(a))
	return ok
}

// SetAccount stores acct.
func (s *State) SetAccount(a common.Address, acct *chain.Account) { s.put(chain.AccountKey(a), acct) }

// Asset returns a copy of the asset's info.
func (s *State) Asset(symbol string) (*chain.AssetInfo, bool) {
	info, ok := load[chain.AssetInfo](s, chain.AssetKey(symbol))
	if !ok {
		return nil, false
	}
	c := *info
	return &c, true
}

// SetAsset stores info.
func (s *State) SetAsset(info *chain.AssetInfo) { s.put(chain.AssetKey(info.Symbol), info) }

// Bank returns the member bank at a.
func (s *State) Bank(a common.Address) (*chain.BankInfo, bool) {
	return load[chain.BankInfo](s, chain.BankKey(a))
}

// SetBank stores a member bank.
func (s *State) SetBank(b *chain.BankInfo) { s.put(chain.BankKey(b.Address), b) }

// Validator returns a validator's reveal state.
func (s *State) Validator(a common.Address) (*chain.ValidatorState, bool) {
	v, ok := load[chain.ValidatorState](s, chain.ValidatorKey(a))
	if !ok {
		return nil, false
	}
	c := *v
	return &c, true
}

// SetValidator stores a validator's reveal state.
func (s *State) SetValidator(a common.Address, v *chain.ValidatorState) {
	s.put(chain.ValidatorKey(a), v)
}

// Seed is the current sovereign-key seed.
func (s *State) Seed() common.Hash {
	h, ok := load[common.Hash](s, chain.SeedKey)
	if !ok {
		return common.Hash{}
	}
	return *h
}

// SetSeed stores the seed for the next height.
func (s *State) SetSeed(h common.Hash) { s.put(chain.SeedKey, &h) }

// Changes encodes every written object, sorted by key so the commit is
// deterministic.
func (s *State) Changes() ([]Change, error) {
	if s.err != nil {
		return nil, s.err
	}
	keys := make([]string, 0, len(s.dirty))
	for k := range s.dirty {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Change, len(keys))
	for i, k := range keys {
		if _, gone := s.objects[k].(deleted); gone {
			out[i] = Change{Key: []byte(k)} // a nil value deletes
			continue
		}
		raw, err := rlp.EncodeToBytes(s.objects[k])
		if err != nil {
			return nil, fmt.Errorf("encode state %x: %w", k, err)
		}
		out[i] = Change{Key: []byte(k), Value: raw}
	}
	return out, nil
}

// dueEscrows lists the first limit committed open escrows whose expiry is
// before before, in expiry index order; it reads no further. Escrows opened in the running block are not listed; they cannot
// be due, since a hold's expiry is after its block's time.
func (s *State) dueEscrows(before uint64, limit int) []common.Hash {
	return s.due(s.base.DueEscrows, "escrow", before, limit)
}

// dueRequests is dueEscrows for payment requests.
func (s *State) dueRequests(before uint64, limit int) []common.Hash {
	return s.due(s.base.DueRequests, "request", before, limit)
}

// due lists, in expiry order, at most limit ids that an expiry index scan
// names as due before the given time.
func (s *State) due(scan func(uint64, func(common.Hash) bool) error, what string, before uint64, limit int) []common.Hash {
	if limit <= 0 {
		return nil
	}
	var out []common.Hash
	if err := scan(before, func(id common.Hash) bool { out = append(out, id); return len(out) < limit }); err != nil {
		s.fail(fmt.Errorf("read %s expiry index: %w", what, err))
		return nil
	}
	return out
}

// MemKV is an in-memory KV: the twin of the store's committed state, for
// tests and for building genesis.
type MemKV map[string][]byte

func (m MemKV) Get(key []byte) ([]byte, error) { return m[string(key)], nil }

// Apply writes changes into m.
func (m MemKV) Apply(cs []Change) {
	for _, c := range cs {
		if c.Value == nil {
			delete(m, string(c.Key))
		} else {
			m[string(c.Key)] = c.Value
		}
	}
}
