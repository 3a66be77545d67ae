package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// What the tools that re-execute a chain from genesis (the auditor, import)
// need from the ledger beyond what a node uses: the state changes of an
// execution, a scan of the flat state, the reveal rule on its own, a
// read-only disk store and a bounded in-memory store.

// Changes is what the block writes into the state, sorted by key (the
// encoded values; nil deletes).
func (ex *Execution) Changes() []Change { return ex.changes }

// ScanState calls fn for every committed state entry in key order (keys
// without the storage prefix), until fn returns an error.
func (s *DB) ScanState(fn func(key, value []byte) error) error {
	return s.iteratePrefix(kState, fn)
}

// StateRootOfFlatState rebuilds the state commitment from the flat state, to
// compare with the head's state root.
func (l *Ledger) StateRootOfFlatState() (common.Hash, error) {
	root, err := l.flatStateRoot()
	return root, err
}

// VerifyReveal checks that reveal is proposer's one valid next reveal on
// the head state, by the rule block execution applies (on a scratch state,
// discarded).
func (l *Ledger) VerifyReveal(proposer common.Address, reveal common.Hash) error {
	return checkReveal(l.State(), proposer, reveal)
}

// OpenLevelDBReadOnly opens an existing goleveldb database without writing
// to it. goleveldb locks a database it opens, read-only included, so a live
// node's directory must be copied first.
func OpenLevelDBReadOnly(dir string) (Store, error) {
	db, err := leveldb.OpenFile(dir, &opt.Options{ReadOnly: true, ErrorIfMissing: true, BlockCacheCapacity: 64 << 20})
	if err != nil {
		return nil, fmt.Errorf("open store %s read-only: %w", dir, err)
	}
	return levelStore{db}, nil
}

// ReplayStore is an in-memory store for re-executing a chain: it keeps the
// state, the trie, the metadata and the expiry index, the latest block's
// header (as a block without transactions), and no history (certificates, receipts, transaction and record indexes).
// goleveldb's memtable never reuses the space of an overwritten value, so
// the store copies its live entries into a fresh one after every
// compactAfter bytes written: memory follows the state's size, not the
// chain's length.
type ReplayStore struct {
	mem          *MemStore
	lastBlock    []byte
	written      int
	compactAfter int
}

// NewReplayStore returns an empty replay store.
func NewReplayStore() *ReplayStore {
	return &ReplayStore{mem: NewMemStore(), compactAfter: 64 << 20}
}

// history is what a replay does not keep.
var history = [256]bool{kHashToHeight: true, kCertificate: true, kReceipts: true, kTxIndex: true,
	kEscrowByAccount: true, kBankRecord: true, kRequestByAccount: true, kApprovalByAccount: true}

func (s *ReplayStore) Get(key []byte) ([]byte, error) { return s.mem.Get(key) }

func (s *ReplayStore) Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error {
	return s.mem.Scan(start, limit, reverse, fn)
}

func (s *ReplayStore) NewBatch() Batch { return new(memBatch) }

func (s *ReplayStore) Write(b Batch) error {
	kept := new(memBatch)
	for _, op := range b.(*memBatch).ops {
		if len(op.key) > 0 && history[op.key[0]] {
			continue
		}
		if len(op.key) > 0 && op.key[0] == kBlockByHeight && !op.del {
			if s.lastBlock != nil {
				kept.ops = append(kept.ops, memOp{key: s.lastBlock, del: true})
			}
			s.lastBlock = op.key
			header, err := headerOnly(op.value)
			if err != nil {
				return err
			}
			op.value = header
		}
		kept.ops = append(kept.ops, op)
		s.written += len(op.key) + len(op.value)
	}
	if err := s.mem.Write(kept); err != nil {
		return err
	}
	if s.written > s.compactAfter {
		return s.compact()
	}
	return nil
}

// headerOnly re-encodes a stored block without its transactions: the
// ledger reads only the head block's header back.
func headerOnly(block []byte) ([]byte, error) {
	content, _, err := rlp.SplitList(block)
	if err != nil {
		return nil, fmt.Errorf("replay store: block: %w", err)
	}
	_, _, rest, err := rlp.Split(content)
	if err != nil {
		return nil, fmt.Errorf("replay store: block header: %w", err)
	}
	return rlp.EncodeToBytes([]rlp.RawValue{content[:len(content)-len(rest)], {0xc0}})
}

// compact copies the live entries into a fresh memory store.
func (s *ReplayStore) compact() error {
	fresh := NewMemStore()
	b := new(memBatch)
	err := s.mem.Scan(nil, nil, false, func(k, v []byte) bool {
		b.Put(k, v)
		return true
	})
	if err != nil {
		return err
	}
	if err := fresh.Write(b); err != nil {
		return err
	}
	s.mem, s.written = fresh, 0
	return nil
}

func (s *ReplayStore) Close() error { return nil }

// View is a view of the memory store.
func (s *ReplayStore) View() (View, error) { return s.mem.View() }

// NewDB lays the chain out over a store without opening a ledger on it
// (the auditor reads a node's data dir this way, read-only).
func NewDB(kv Store) *DB { return &DB{kv: kv} }

// RawBlock is the stored encoding of the block at height h.
func (s *DB) RawBlock(h uint64) ([]byte, error) {
	raw, err := s.get(heightKey(kBlockByHeight, h))
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", h, err)
	}
	if raw == nil {
		return nil, s.missing("block", h)
	}
	return raw, nil
}
