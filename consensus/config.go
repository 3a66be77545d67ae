package consensus

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Signer signs consensus messages with the validator's key. Sign returns a
// 65-byte secp256k1 signature [R || S || V] over hash, as go-ethereum's
// crypto.Sign does; it is given the canonical hashes chain.VoteSignHash and
// chain.ProposalSignHash.
type Signer interface {
	Sign(hash common.Hash) ([]byte, error)
	Address() common.Address
}

// App is how the core asks whether a proposed block is valid: the node
// executes the block against its state (the etcd-raft Storage pattern: an
// injected interface).
//
// ValidateBlock is valid(v) of the paper: it checks everything the core
// does not (transactions, the reveal, state and receipt roots, the time
// after the parent's) and must be deterministic, a function of the block
// and the parent's state only, never of the local clock: the core caches
// its answer for the rest of the height. It is called at most once per
// block hash and only after every Commit the machine has emitted has been
// acknowledged with Advance, so the node's state is the parent's state.
//
// CheckTimely is the clock-dependent part (proposer-based timestamps): is
// the block's time close enough to the local clock, neither too far ahead
// nor too far behind. The core asks it only of a fresh proposal (one
// without a proof of lock, POLRound -1) that it would otherwise prevote,
// every time anew, and never caches it: a block with a proof of lock was
// already found timely by more than 2/3 of the power, and refusing it for
// the local clock could stall the chain with some validators locked on it.
type App interface {
	ValidateBlock(b *chain.Block) error
	CheckTimely(b *chain.Block) error
}

// Default timeouts in ticks, with 1 tick = 10ms in the node.
const (
	DefaultProposeTicks      = 50
	DefaultPrevoteTicks      = 20
	DefaultPrecommitTicks    = 20
	DefaultTimeoutDeltaTicks = 20
	DefaultMaxTimeoutTicks   = 300
	// DefaultDoubleSignCheckHeights: see Config.DoubleSignCheckHeights.
	DefaultDoubleSignCheckHeights = 2
)

// Config configures a Machine.
type Config struct {
	ChainID string
	// ValidatorsAt is the validator set in force at a height: the set
	// whose key holders propose, whose votes count and whose power signs
	// the height's certificate. The machine asks it when it enters a
	// height (for that height and, for buffered messages, the next) and
	// when it checks a certificate (for the certificate's own height). It
	// must be a pure function of the chain decided so far; a chain whose
	// set changes only at heights fixed two or more blocks ahead (the
	// ledger's governance rule) answers height h+1 once h-1 is decided.
	ValidatorsAt func(height uint64) *chain.ValidatorSet
	// Validators is the one set of every height, when ValidatorsAt is nil.
	Validators *chain.ValidatorSet
	// Signer is the validator's key; nil makes an observer that follows
	// and decides but never votes or proposes. A signer whose address is
	// not in the set of a height follows that height as an observer does
	// (a validator added or rotated in later, or removed).
	Signer Signer
	App    App

	// Timeouts in ticks. Round r waits base + r*TimeoutDeltaTicks, at most
	// MaxTimeoutTicks. Zero means the default.
	ProposeTicks      int
	PrevoteTicks      int
	PrecommitTicks    int
	TimeoutDeltaTicks int
	MaxTimeoutTicks   int

	// RebroadcastTicks is how often the machine re-sends its own messages
	// of the current round (and helps a peer one height behind), so that a
	// lossy network cannot stall it. Zero means ProposeTicks.
	RebroadcastTicks int
	// MaxBufferedMessages bounds the next-height message buffer. Zero means
	// 16 + 16*validators. Each validator may fill at most
	// MaxBufferedPerValidator of it.
	MaxBufferedMessages int

	// DoubleSignCheckHeights is how many consecutive heights a validator
	// started with StartState.SignerStateLost watches, signing nothing,
	// before it signs again (cometbft's double_sign_check_height). A watched
	// height counts only if the machine decided it from live votes (the
	// round's 2f+1 prevotes and precommits), saw no message signed with its
	// own key at that height or later, and saw no sign of being behind (a
	// message two or more heights ahead, a height decided by Catchup);
	// anything else starts the count again. Zero means
	// DefaultDoubleSignCheckHeights; a negative value turns the watch off.
	DoubleSignCheckHeights int

	// Recover returns the address that signed hash. Nil means
	// chain.RecoverSigner (and certificates are checked with
	// chain.Certificate.Verify). A node may pass one that remembers
	// signatures its gossip layer already recovered; it must give exactly
	// chain.RecoverSigner's answers.
	Recover func(hash common.Hash, sig []byte) (common.Address, error)
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.ProposeTicks, DefaultProposeTicks)
	def(&c.PrevoteTicks, DefaultPrevoteTicks)
	def(&c.PrecommitTicks, DefaultPrecommitTicks)
	def(&c.TimeoutDeltaTicks, DefaultTimeoutDeltaTicks)
	def(&c.MaxTimeoutTicks, DefaultMaxTimeoutTicks)
	def(&c.RebroadcastTicks, c.ProposeTicks)
	if c.DoubleSignCheckHeights == 0 {
		c.DoubleSignCheckHeights = DefaultDoubleSignCheckHeights
	}
	if c.Validators != nil {
		def(&c.MaxBufferedMessages, 16+16*c.Validators.Size())
	}
	return c
}

// setAt is the validator set of height h.
func (c Config) setAt(h uint64) *chain.ValidatorSet {
	if c.ValidatorsAt != nil {
		if vs := c.ValidatorsAt(h); vs != nil {
			return vs
		}
		return chain.NewValidatorSet(nil)
	}
	return c.Validators
}

func (c Config) validate() error {
	if c.ChainID == "" {
		return fmt.Errorf("consensus config: chain id is empty")
	}
	if c.ValidatorsAt == nil && (c.Validators == nil || c.Validators.Size() == 0 || c.Validators.TotalPower() == 0) {
		return fmt.Errorf("consensus config: validator set is empty")
	}
	if c.App == nil {
		return fmt.Errorf("consensus config: App is nil")
	}
	if c.Signer != nil && c.ValidatorsAt == nil {
		if _, ok := c.Validators.Get(c.Signer.Address()); !ok {
			return fmt.Errorf("consensus config: signer %s is not a validator (use a nil Signer for an observer)", c.Signer.Address())
		}
	}
	return nil
}

// timeout is base grown by delta per round, capped.
func (c Config) timeout(base int, round uint32) uint64 {
	t := uint64(base) + uint64(c.TimeoutDeltaTicks)*uint64(round)
	if max := uint64(c.MaxTimeoutTicks); t > max && max >= uint64(base) {
		t = max
	}
	return t
}
