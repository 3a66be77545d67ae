package txpool

import (
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/sovereign-ledger/sovereign/chain"
)

// StateView is what the pool reads of the committed ledger. It must be a
// snapshot: unchanged until the pool is given the next one by Update.
type StateView interface {
	// Nonce is the next nonce the ledger expects from addr.
	Nonce(addr common.Address) uint64
	// Available is addr's spendable balance of asset, in minor units.
	Available(addr common.Address, asset string) uint64
	// Locked is what was released to addr but is still inside its
	// protection period: the pool refuses an overdraft those funds would
	// have covered with the ledger's own code, protection_period.
	Locked(addr common.Address, asset string) uint64
	// Check is the ledger's admission check of tx (ledger.CheckAdmission):
	// the envelope and the rule's precheck that block building runs, so
	// the pool refuses with the ledger's code what no block would accept.
	// The pool calls it once per transaction, after the signature checks.
	Check(tx *chain.Tx) error
}

// Config bounds the pool. Zero fields take their defaults.
type Config struct {
	MaxTxs        int    // total transactions held; default 100_000
	MaxPerSender  int    // transactions held per sender; default 1_000
	NonceWindow   uint64 // how far ahead of the state nonce a nonce may be; default 1_000
	RejectedCache int    // recent rejections remembered for Rejected; default 100_000
	Workers       int    // signature-recovery goroutines; default runtime.NumCPU()
	// Log receives a summary of refused transactions, by code, at most
	// every LogEvery (default DefaultLogEvery); nil logs nothing.
	Log      *slog.Logger
	LogEvery time.Duration
}

// Defaults for Config's zero fields.
const (
	DefaultMaxTxs        = 100_000
	DefaultMaxPerSender  = 1_000
	DefaultNonceWindow   = 1_000
	DefaultRejectedCache = 100_000
)

func (c Config) withDefaults() Config {
	if c.MaxTxs <= 0 {
		c.MaxTxs = DefaultMaxTxs
	}
	if c.MaxPerSender <= 0 {
		c.MaxPerSender = DefaultMaxPerSender
	}
	if c.NonceWindow == 0 {
		c.NonceWindow = DefaultNonceWindow
	}
	if c.RejectedCache <= 0 {
		c.RejectedCache = DefaultRejectedCache
	}
	if c.Workers <= 0 {
		c.Workers = runtime.NumCPU()
	}
	if c.LogEvery <= 0 {
		c.LogEvery = DefaultLogEvery
	}
	return c
}

// Pool is the transaction pool. It is safe for concurrent use.
type Pool struct {
	cfg     Config
	chainID string

	// recover returns a transaction's signers; tests wrap it to count calls.
	recover func(*chain.Tx) ([]common.Address, error)
	// sem holds one token per signature recovery in progress, across all
	// concurrent Add calls, so recovery never uses more than Workers cores.
	sem chan struct{}
	// rejected remembers recent rejections by hash; it locks itself but is
	// written under mu.
	rejected *lru.Cache[common.Hash, rejection]
	refusals *refusalLog

	// inflight holds the hashes being verified by some Add call, so a
	// duplicate arriving meanwhile is not recovered a second time.
	inflightMu sync.Mutex
	inflight   map[common.Hash]struct{}

	mu         sync.RWMutex
	state      StateView
	all        map[common.Hash]*entry
	senders    map[common.Address]*account
	gapped     []*account // senders holding a transaction after a nonce gap
	executable int        // transactions in executable runs
	seq        uint64     // arrival counter
	waiter     chan struct{}
	included   *hashSet // recently committed, at least the last MaxTxs
}

// New returns an empty pool for chainID reading the committed ledger from
// state.
func New(cfg Config, chainID string, state StateView) *Pool {
	cfg = cfg.withDefaults()
	rejected, err := lru.New[common.Hash, rejection](cfg.RejectedCache)
	if err != nil {
		panic(err) // only for a non-positive size, excluded by withDefaults
	}
	return &Pool{
		cfg:      cfg,
		chainID:  chainID,
		recover:  (*chain.Tx).Signers,
		sem:      make(chan struct{}, cfg.Workers),
		rejected: rejected,
		refusals: newRefusalLog(cfg.Log, cfg.LogEvery),
		inflight: make(map[common.Hash]struct{}),
		state:    state,
		all:      make(map[common.Hash]*entry),
		senders:  make(map[common.Address]*account),
		included: newHashSet(cfg.MaxTxs),
	}
}

// Config returns the pool's configuration with defaults filled in.
func (p *Pool) Config() Config { return p.cfg }

// Get returns the pooled transaction with hash h, or nil. It is the pointer
// that was admitted, with its signers cached.
func (p *Pool) Get(h common.Hash) *chain.Tx {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if e := p.all[h]; e != nil {
		return e.tx
	}
	return nil
}

// Has reports whether the pool holds the transaction with hash h.
func (p *Pool) Has(h common.Hash) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.all[h] != nil
}

// Len is the number of transactions held, executable or waiting.
func (p *Pool) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.all)
}

// Executable is the number of transactions that could go into the next
// block (ignoring block caps).
func (p *Pool) Executable() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.executable
}

// Rejected returns the code of a recently rejected transaction, whether
// refused at admission or dropped later, for status queries. A transaction
// that was later admitted or included is no longer reported.
func (p *Pool) Rejected(h common.Hash) (code string, ok bool) {
	r, ok := p.rejected.Peek(h)
	return r.code, ok
}

// closedChan is returned by Wait while executable transactions wait.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Wait returns a channel that is closed once the pool holds executable
// transactions: already closed if it holds some now. A block producer
// selects on it beside its empty-block timer and calls Pending when it
// fires; call Wait again for the next round.
func (p *Pool) Wait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.executable > 0 {
		return closedChan
	}
	if p.waiter == nil {
		p.waiter = make(chan struct{})
	}
	return p.waiter
}

// notify wakes Wait's callers if there is work. Caller holds p.mu.
func (p *Pool) notify() {
	if p.executable > 0 && p.waiter != nil {
		close(p.waiter)
		p.waiter = nil
	}
}
