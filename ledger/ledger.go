package ledger

import (
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Ledger is the committed chain and state on a Store: it executes blocks,
// builds them for a proposer, commits final ones, and answers queries.
type Ledger struct {
	store       *DB
	genesis     *chain.Genesis
	genesisHash common.Hash         // hash of block 0
	validators  *chain.ValidatorSet // genesis set; ValidatorsAt gives the set of a height
	sets        setCache

	mu   sync.RWMutex
	head *chain.Header
	trie *trie.Trie // state trie at head.StateRoot

	execMu  sync.Mutex
	results map[common.Hash]*Execution // executions of candidate blocks at head+1

	recover chain.Recoverer // of parent-certificate signatures
}

// Option adjusts how a Ledger runs.
type Option func(*Ledger)

// WithRecoverer recovers the signatures of parent certificates with r: a
// node passes the cache its consensus core already filled while checking
// the same certificate, so its signatures are recovered once per node.
func WithRecoverer(r chain.Recoverer) Option { return func(l *Ledger) { l.recover = r } }

// WithoutReadCaches sends every trie read to the store: for tests that
// inject storage failures (MemStore.Fail) and must see them on every read.
func WithoutReadCaches() Option { return func(l *Ledger) { l.store.nodes = nil } }

// Execution is the outcome of running a block on the head state.
type Execution struct {
	Block    *chain.Block
	Receipts []*chain.Receipt
	changes  []Change
	expiry   []Change // expiry index entries (index.go)
	nodes    *trienode.NodeSet
	parent   common.Hash
	Dropped  []DroppedTx // building only: candidates left out
}

// ErrGenesisMismatch means the store holds another chain.
var ErrGenesisMismatch = errors.New("stored chain has a different genesis")

// OpenLedger opens the chain in store, committing genesis into an empty store
// and refusing a store whose genesis differs.
func OpenLedger(kv Store, g *chain.Genesis, opts ...Option) (*Ledger, error) {
	store := &DB{kv: kv, nodes: newReadCache(trieCacheEntries)}
	l := &Ledger{store: store, genesis: g, validators: g.ValidatorSet(), results: make(map[common.Hash]*Execution), recover: chain.RecoverSigner}
	for _, o := range opts {
		o(l)
	}
	genesisBlock, changes, nodes, err := buildGenesis(g)
	if err != nil {
		return nil, err
	}
	stored, ok, err := store.GenesisHash()
	if err != nil {
		return nil, fmt.Errorf("read genesis hash: %w", err)
	}
	switch {
	case !ok:
		err := store.commit(blockWrite{block: genesisBlock, receipts: []*chain.Receipt{}, changes: changes, nodes: nodes, genesis: true})
		if err != nil {
			return nil, fmt.Errorf("commit genesis: %w", err)
		}
	case stored != genesisBlock.Hash():
		return nil, fmt.Errorf("%w: store has %s, genesis file gives %s", ErrGenesisMismatch, stored, genesisBlock.Hash())
	}
	l.genesisHash = genesisBlock.Hash()
	if err := l.loadHead(); err != nil {
		return nil, err
	}
	// A crash between a block's commit and its set-change proof: take it now.
	if err := l.recordSetProof(l.Head()); err != nil {
		return nil, fmt.Errorf("set-change proof: %w", err)
	}
	return l, nil
}

func buildGenesis(g *chain.Genesis) (*chain.Block, []Change, *trienode.NodeSet, error) {
	changes, err := genesisChanges(g)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("genesis state: %w", err)
	}
	root, nodes, err := updateTrie(trie.NewEmpty(nil), changes)
	if err != nil {
		return nil, nil, nil, err
	}
	return &chain.Block{Header: genesisHeader(g, root)}, changes, nodes, nil
}

func (l *Ledger) loadHead() error {
	h, ok, err := l.store.Head()
	if err != nil {
		return fmt.Errorf("read head: %w", err)
	}
	if !ok {
		return fmt.Errorf("store has genesis but no head")
	}
	b, err := l.store.BlockByHeight(h)
	if err != nil {
		return damaged(err, "head block %d unreadable or missing", h)
	}
	if err := l.setHead(b.Header); err != nil {
		return damaged(err, "state trie of head block %d", h)
	}
	return nil
}

// setHead moves the head to a committed header and opens its state trie.
func (l *Ledger) setHead(h *chain.Header) error {
	t, err := l.store.openTrie(h.StateRoot)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.head, l.trie = h, t
	l.mu.Unlock()
	return nil
}

// Genesis is the chain's genesis document.
func (l *Ledger) Genesis() *chain.Genesis { return l.genesis }

// GenesisHash is the hash of block 0.
func (l *Ledger) GenesisHash() common.Hash { return l.genesisHash }

// Validators is the validator set in force at the next height to decide
// (head+1): the one that proposes, votes and signs its certificate.
func (l *Ledger) Validators() *chain.ValidatorSet { return l.ValidatorsAt(l.Head().Height + 1) }

// GenesisValidators is the genesis validator set.
func (l *Ledger) GenesisValidators() *chain.ValidatorSet { return l.validators }

// DB is the chain's stored blocks, receipts and indexes.
func (l *Ledger) DB() *DB { return l.store }

// Head is the last committed (final) header.
func (l *Ledger) Head() *chain.Header {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.head
}

// State returns a fresh working state over the committed state, as of the
// head's block time (locked funds whose time has come read as available).
func (l *Ledger) State() *State {
	st := NewState(l.store.StateKV())
	head := l.Head()
	st.SetBlock(BlockContext{Height: head.Height, Time: head.Time, Params: l.genesis.Params, GenesisValidators: l.validators})
	return st
}

// Account reads a committed account.
func (l *Ledger) Account(a common.Address) (*chain.Account, bool, error) {
	st := l.State()
	acct, ok := st.Account(a)
	return acct, ok, st.Err()
}

// Prove returns the committed value under key, a Merkle proof for it, and
// the header whose state root the proof is against.
func (l *Ledger) Prove(key []byte) (value []byte, nodes [][]byte, head *chain.Header, err error) {
	l.mu.Lock() // the trie caches what it resolves, so it is not safe for concurrent reads
	defer l.mu.Unlock()
	db := memorydb.New()
	if err := proveKey(l.trie, key, &proofList{db: db, out: &nodes}); err != nil {
		return nil, nil, nil, fmt.Errorf("prove %x: %w", key, err)
	}
	value, err = l.store.StateKV().Get(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return value, nodes, l.head, nil
}

// proofList collects proof nodes in order, root first.
type proofList struct {
	db  *memorydb.Database
	out *[][]byte
}

func (p *proofList) Put(key, value []byte) error {
	*p.out = append(*p.out, append([]byte(nil), value...))
	return p.db.Put(key, value)
}
func (p *proofList) Delete(key []byte) error { return p.db.Delete(key) }

// Execute validates block b as the successor of the head and runs it. The
// result is kept so that committing b does not run it again.
func (l *Ledger) Execute(b *chain.Block) (*Execution, error) {
	hash := b.Hash()
	l.execMu.Lock()
	ex, ok := l.results[hash]
	l.execMu.Unlock()
	// The header hash does not cover the body: a cached run counts only for
	// the same block, or a body with the header's transactions root.
	if ok && (ex.Block == b || TxRoot(b.Txs) == b.Header.TxRoot) {
		return ex, nil
	}
	ex, err := l.run(b, false)
	if err != nil {
		return nil, fmt.Errorf("block %d %s: %w", b.Height(), hash, err)
	}
	l.remember(hash, ex)
	return ex, nil
}

func (l *Ledger) remember(hash common.Hash, ex *Execution) {
	l.execMu.Lock()
	defer l.execMu.Unlock()
	if len(l.results) > 64 { // candidates of past rounds; bounded
		clear(l.results)
	}
	l.results[hash] = ex
}

// Commit makes block b final with its certificate: one synced batch, then
// the head moves.
func (l *Ledger) Commit(b *chain.Block, cert *chain.Certificate) error {
	_, err := l.CommitReceipts(b, cert)
	return err
}

// CommitReceipts is Commit, returning the block's receipts so that a caller
// who reports on them need not read them back.
func (l *Ledger) CommitReceipts(b *chain.Block, cert *chain.Certificate) ([]*chain.Receipt, error) {
	ex, err := l.Execute(b)
	if err != nil {
		return nil, err
	}
	index := append(ex.expiry, indexBlock(b, ex.Receipts)...)
	w := blockWrite{block: b, cert: cert, receipts: ex.Receipts, changes: ex.changes, nodes: ex.nodes, index: index}
	if err := l.store.commit(w); err != nil {
		return nil, err
	}
	l.execMu.Lock()
	clear(l.results)
	l.execMu.Unlock()
	if err := l.setHead(b.Header); err != nil { // the block just written: no need to read it back
		return ex.Receipts, err
	}
	return ex.Receipts, l.recordSetProof(b.Header)
}
