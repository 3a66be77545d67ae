package ledger

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/sovereign-ledger/sovereign/chain"
)

// What a state snapshot needs from the storage layout
// (docs/adr/0065-state-snapshots.md): a consistent view to export from, the
// flat state in trie order with range proofs, and writing a verified state
// into an empty store, after which the store's history starts at the
// snapshot's height (its base).

// metaSnapshotBase is the height of the snapshot a store was started from;
// absent on a store that holds the chain from genesis.
var metaSnapshotBase = []byte{kMeta, 's'}

// metaImporting marks a store a snapshot import is writing: written before
// anything else, deleted with the genesis hash's write at the end.
var metaImporting = []byte{kMeta, 'i'}

// ErrSnapshotRoot means an imported state does not hash to the state root
// of the header it came with.
var ErrSnapshotRoot = errors.New("snapshot state does not match the header's state root")

// ErrStoreNotEmpty means a snapshot was to be imported into a store that
// holds a chain, or data that is not an interrupted import's.
var ErrStoreNotEmpty = errors.New("store is not empty")

// viewStore is a read-only Store over a View.
type viewStore struct{ v View }

var errReadOnlyView = errors.New("store view is read-only")

func (s viewStore) Get(key []byte) ([]byte, error) { return s.v.Get(key) }
func (s viewStore) Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error {
	return s.v.Scan(start, limit, reverse, fn)
}
func (viewStore) NewBatch() Batch     { return new(memBatch) }
func (viewStore) Write(Batch) error   { return errReadOnlyView }
func (viewStore) View() (View, error) { return nil, errReadOnlyView }
func (s viewStore) Close() error      { s.v.Release(); return nil }

// View returns the chain as it is now, unchanged by later commits, so that
// a long read (a snapshot export) sees one height while the node goes on
// committing. release frees the view.
func (s *DB) View() (view *DB, release func(), err error) {
	v, err := s.kv.View()
	if err != nil {
		return nil, nil, err
	}
	return &DB{kv: viewStore{v}}, v.Release, nil
}

// SnapshotBase is the height of the snapshot this store started from
// (ok false for a store that holds the chain from genesis): blocks,
// receipts and indexes below it were never written here.
func (s *DB) SnapshotBase() (uint64, bool, error) {
	v, err := s.get(metaSnapshotBase)
	if err != nil || v == nil {
		return 0, false, err
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// missing is the error for what of height h that the store does not hold:
// chain.ErrBeforeSnapshot below the snapshot base (between genesis and the
// base), chain.ErrNotFound otherwise. Only a miss reads the base.
func (s *DB) missing(what string, h uint64) error {
	if base, ok, err := s.SnapshotBase(); err == nil && ok && h > 0 && h < base {
		return fmt.Errorf("%s %d: %w (height %d)", what, h, chain.ErrBeforeSnapshot, base)
	}
	return fmt.Errorf("%s %d: %w", what, h, chain.ErrNotFound)
}

// StateEntry is a flat-state entry with its trie key, Keccak-256 of Key.
type StateEntry struct {
	TrieKey    common.Hash
	Key, Value []byte
}

// StateInTrieOrder reads the whole flat state, sorted by trie key: the
// order of the trie's leaves, which a range proof needs. Keys and values
// are read in one sequential scan into a few large buffers (a lookup per
// key, in hash order, would be a random read each).
func (s *DB) StateInTrieOrder() ([]StateEntry, error) {
	var (
		entries []StateEntry
		arena   []byte
	)
	err := s.iteratePrefix(kState, func(k, v []byte) error {
		if len(arena)+len(k)+len(v) > cap(arena) {
			arena = make([]byte, 0, max(1<<20, len(k)+len(v)))
		}
		at := len(arena)
		arena = append(append(arena, k...), v...)
		kv := arena[at:len(arena):len(arena)]
		entries = append(entries, StateEntry{TrieKey: crypto.Keccak256Hash(k), Key: kv[:len(k):len(k)], Value: kv[len(k):]})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the state: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].TrieKey[:], entries[j].TrieKey[:]) < 0 })
	return entries, nil
}

// StateProver proves ranges of the state trie at one root.
type StateProver struct{ t *trie.Trie }

// StateProver opens the state trie at root. The store keeps the trie of
// its head only, so root must be the head's (or a view's head's).
func (s *DB) StateProver(root common.Hash) (*StateProver, error) {
	t, err := s.openTrie(root)
	if err != nil {
		return nil, err
	}
	return &StateProver{t}, nil
}

// ProveRange returns the proof nodes of the trie keys origin and last (the
// edges of a range, as go-ethereum's snap sync sends them), each node once.
func (p *StateProver) ProveRange(origin, last common.Hash) ([][]byte, error) {
	db := memorydb.New()
	var nodes [][]byte
	w := &proofList{db: db, out: &nodes}
	if err := p.t.Prove(origin[:], w); err != nil {
		return nil, fmt.Errorf("prove range start %s: %w", origin, err)
	}
	if err := p.t.Prove(last[:], w); err != nil {
		return nil, fmt.Errorf("prove range end %s: %w", last, err)
	}
	return uniqueNodes(nodes), nil
}

func uniqueNodes(nodes [][]byte) [][]byte {
	seen := make(map[string]bool, len(nodes))
	out := nodes[:0]
	for _, n := range nodes {
		if !seen[string(n)] {
			seen[string(n)] = true
			out = append(out, n)
		}
	}
	return out
}

// StateImport writes a state received in trie-key order into an empty
// store: the flat state, the trie nodes (built as the entries arrive, by a
// stack trie, so memory stays flat) and the expiry indexes the rules need.
// Finish checks the root and makes the store's head the snapshot's block.
type StateImport struct {
	db      *DB
	batch   Batch
	pending int
	stack   *trie.StackTrie
	last    []byte
	entries int
	err     error
}

// importBatchBytes is how much an import writes per synced batch.
const importBatchBytes = 16 << 20

// NewStateImport starts an import into kv, which must be empty or hold
// what an interrupted import left (its marker, no genesis hash): that is
// cleared first, so a join can be retried without the operator deleting
// the data dir. Anything else is refused and left as it is.
func NewStateImport(kv Store) (*StateImport, error) {
	db := &DB{kv: kv}
	if err := clearInterruptedImport(kv); err != nil {
		return nil, fmt.Errorf("start snapshot import: %w", err)
	}
	b := kv.NewBatch()
	b.Put(metaImporting, []byte{})
	if err := kv.Write(b); err != nil {
		return nil, fmt.Errorf("start snapshot import: %w", err)
	}
	im := &StateImport{db: db, batch: kv.NewBatch()}
	im.stack = trie.NewStackTrie(func(path []byte, hash common.Hash, blob []byte) {
		im.put(prefixed(kTrieNode, path), append(hash.Bytes(), blob...))
	})
	return im, nil
}

func (im *StateImport) put(key, value []byte) {
	im.batch.Put(key, value)
	im.pending += len(key) + len(value)
	if im.pending >= importBatchBytes && im.err == nil {
		im.err = im.db.kv.Write(im.batch)
		im.batch, im.pending = im.db.kv.NewBatch(), 0
	}
}

// Add writes one state entry. Entries must come in strictly increasing
// trie-key order (Keccak-256 of key), with non-empty values.
func (im *StateImport) Add(key, value []byte) error {
	if im.err != nil {
		return im.err
	}
	tk := crypto.Keccak256(key)
	if im.last != nil && bytes.Compare(tk, im.last) <= 0 {
		return fmt.Errorf("state key %x out of trie order", key)
	}
	if len(value) == 0 {
		return fmt.Errorf("state key %x has an empty value", key)
	}
	if err := im.stack.Update(tk, value); err != nil {
		return fmt.Errorf("state key %x: %w", key, err)
	}
	im.last = tk
	im.put(prefixed(kState, key), value)
	for _, x := range expiringKinds {
		if len(key) == 0 || key[0] != x.statePrefix {
			continue
		}
		v, err := x.decode(value)
		if err != nil {
			return fmt.Errorf("decode %s %x: %w", x.what, key, err)
		}
		if expiry, id, open, _ := x.decoded(v); open {
			im.put(x.indexKey(expiry, id), []byte{})
		}
	}
	im.entries++
	return im.err
}

// Entries is how many state entries were added.
func (im *StateImport) Entries() int { return im.entries }

// Finish checks that the state hashes to block's state root and writes
// what the ledger opens on: the genesis block and hash, the snapshot base,
// and block (the snapshot's, final by cert) with its receipts and indexes
// as the head, as a node commits a block. Nothing below block's height is
// kept. The genesis hash, which marks the store as holding a chain, is
// written last, so an interrupted import leaves a store no node opens.
func (im *StateImport) Finish(g *chain.Genesis, block *chain.Block, cert *chain.Certificate, receipts []*chain.Receipt) error {
	if im.err != nil {
		return im.err
	}
	root := im.stack.Hash()
	if root != block.Header.StateRoot {
		return fmt.Errorf("%w: state hashes to %s, header %d has %s", ErrSnapshotRoot, root, block.Height(), block.Header.StateRoot)
	}
	genesis, _, _, err := buildGenesis(g)
	if err != nil {
		return err
	}
	gh := genesis.Hash()
	im.put(heightKey(kBlockByHeight, 0), genesis.Bytes())
	im.put(prefixed(kHashToHeight, gh[:]), heightKey(0, 0)[1:])
	im.put(heightKey(kReceipts, 0), []byte{0xc0}) // genesis has no transactions: an empty list, as a chain from genesis stores
	im.put(metaSnapshotBase, heightKey(0, block.Height())[1:])
	if im.err != nil {
		return im.err
	}
	if err := im.db.kv.Write(im.batch); err != nil {
		return fmt.Errorf("finish snapshot import: %w", err)
	}
	err = im.db.commit(blockWrite{block: block, cert: cert, receipts: receipts, index: indexBlock(block, receipts)})
	if err != nil {
		return fmt.Errorf("finish snapshot import: %w", err)
	}
	b := im.db.kv.NewBatch()
	b.Put(metaGenesis, gh[:])
	b.Delete(metaImporting)
	if err := im.db.kv.Write(b); err != nil {
		return fmt.Errorf("finish snapshot import: %w", err)
	}
	return nil
}

// clearInterruptedImport makes kv empty if it holds only an interrupted
// import, and refuses it if it holds anything else.
func clearInterruptedImport(kv Store) error {
	empty := true
	if err := kv.Scan(nil, nil, false, func(_, _ []byte) bool { empty = false; return false }); err != nil || empty {
		return err
	}
	marker, err := kv.Get(metaImporting)
	if err != nil {
		return err
	}
	genesis, err := kv.Get(metaGenesis)
	if err != nil {
		return err
	}
	if marker == nil || genesis != nil {
		return ErrStoreNotEmpty
	}
	return clearStore(kv)
}

// clearStore deletes every entry of kv, a batch at a time.
func clearStore(kv Store) error {
	for {
		b, n := kv.NewBatch(), 0
		err := kv.Scan(nil, nil, false, func(k, _ []byte) bool {
			b.Delete(bytes.Clone(k))
			n++
			return n < 100_000
		})
		if err != nil || n == 0 {
			return err
		}
		if err := kv.Write(b); err != nil {
			return err
		}
	}
}

// GenesisBlock is block 0 of the chain g describes (pure construction).
func GenesisBlock(g *chain.Genesis) (*chain.Block, error) {
	b, _, _, err := buildGenesis(g)
	return b, err
}
