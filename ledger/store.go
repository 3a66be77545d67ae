package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Storage layout: one goleveldb database per node, one key prefix per kind
// (docs/adr/0003-storage-layout.md). Every block commits in one synced batch,
// so a crash leaves either the whole block or none of it.
const (
	kBlockByHeight = 'B' // height → block
	kHashToHeight  = 'N' // block hash → height
	kCertificate   = 'C' // height → commit certificate of that block
	kReceipts      = 'R' // height → receipts
	kTxIndex       = 'X' // tx hash → (height, index)
	kState         = 'S' // state key → value (the flat state)
	kTrieNode      = 'T' // trie path → node hash ‖ node blob (latest state only)
	kMeta          = 'M' // name → value
)

var (
	metaHead    = []byte{kMeta, 'h'} // height of the last committed block
	metaGenesis = []byte{kMeta, 'g'} // hash of the genesis block
	metaSafety  = []byte{kMeta, 'c'} // consensus safety record
	metaValid   = []byte{kMeta, 'v'} // consensus valid value (block and proof of lock)
)

// DB lays the chain out over a Store: blocks, certificates, receipts, the
// transaction index, the flat state, the trie nodes and metadata, each under
// its own key prefix.
type DB struct {
	kv    Store
	nodes *readCache // trie nodes by path; nil reads the store every time
}

func heightKey(prefix byte, h uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], h)
	return k
}

func prefixed(prefix byte, key []byte) []byte {
	return append([]byte{prefix}, key...)
}

func (s *DB) get(key []byte) ([]byte, error) { return s.kv.Get(key) }

// stateKV reads the committed flat state.
type stateKV struct{ s *DB }

func (k stateKV) Get(key []byte) ([]byte, error) { return k.s.get(prefixed(kState, key)) }

// StateKV returns the committed state as a KV.
func (s *DB) StateKV() KV { return stateKV{s} }

// Head returns the height of the last committed block and whether any is.
func (s *DB) Head() (uint64, bool, error) {
	v, err := s.get(metaHead)
	if err != nil || v == nil {
		return 0, false, err
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// GenesisHash returns the stored genesis block hash, if any.
func (s *DB) GenesisHash() (common.Hash, bool, error) {
	v, err := s.get(metaGenesis)
	if err != nil || v == nil {
		return common.Hash{}, false, err
	}
	return common.BytesToHash(v), true, nil
}

// BlockByHeight returns a stored block.
func (s *DB) BlockByHeight(h uint64) (*chain.Block, error) {
	raw, err := s.get(heightKey(kBlockByHeight, h))
	if err != nil {
		return nil, fmt.Errorf("read block %d: %w", h, err)
	}
	if raw == nil {
		return nil, s.missing("block", h)
	}
	return chain.DecodeBlock(raw)
}

// HeightOf returns the height of the block with hash h.
func (s *DB) HeightOf(h common.Hash) (uint64, error) {
	raw, err := s.get(prefixed(kHashToHeight, h[:]))
	if err != nil {
		return 0, err
	}
	if raw == nil {
		return 0, fmt.Errorf("block %s: %w", h, chain.ErrNotFound)
	}
	return binary.BigEndian.Uint64(raw), nil
}

// Certificate returns the commit certificate of the block at height h.
func (s *DB) Certificate(h uint64) (*chain.Certificate, error) {
	raw, err := s.get(heightKey(kCertificate, h))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, s.missing("certificate", h)
	}
	c := new(chain.Certificate)
	if err := rlp.DecodeBytes(raw, c); err != nil {
		return nil, fmt.Errorf("decode certificate %d: %w", h, err)
	}
	return c, nil
}

// Receipts returns the receipts of the block at height h.
func (s *DB) Receipts(h uint64) ([]*chain.Receipt, error) {
	raw, err := s.get(heightKey(kReceipts, h))
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, s.missing("receipts", h)
	}
	var rs []*chain.Receipt
	if err := rlp.DecodeBytes(raw, &rs); err != nil {
		return nil, fmt.Errorf("decode receipts %d: %w", h, err)
	}
	return rs, nil
}

// TxLocation is where a committed transaction is.
type TxLocation struct {
	Height uint64
	Index  uint32
}

// TxLocation finds a committed transaction by hash.
func (s *DB) TxLocation(h common.Hash) (TxLocation, bool, error) {
	raw, err := s.get(prefixed(kTxIndex, h[:]))
	if err != nil || raw == nil {
		return TxLocation{}, false, err
	}
	var loc TxLocation
	if err := rlp.DecodeBytes(raw, &loc); err != nil {
		return TxLocation{}, false, fmt.Errorf("decode tx index %s: %w", h, err)
	}
	return loc, true, nil
}

// SafetyRecord returns the raw consensus safety record and the raw valid
// value behind it (nil when none was written).
func (s *DB) SafetyRecord() (safety, valid []byte, err error) {
	if safety, err = s.get(metaSafety); err != nil {
		return nil, nil, err
	}
	valid, err = s.get(metaValid)
	return safety, valid, err
}

// PutSafetyRecord writes the consensus safety record (and, when not nil, the
// valid value it names) in one batch and syncs it to disk before returning:
// a vote may leave the node only after this.
func (s *DB) PutSafetyRecord(safety, valid []byte) error {
	b := s.kv.NewBatch()
	if safety != nil {
		b.Put(metaSafety, safety)
	}
	if valid != nil {
		b.Put(metaValid, valid)
	}
	return s.kv.Write(b)
}

// blockWrite is everything one block commits.
type blockWrite struct {
	block    *chain.Block
	cert     *chain.Certificate
	receipts []*chain.Receipt
	changes  []Change
	nodes    *trienode.NodeSet
	index    []Change // secondary indexes (index.go): not state
	genesis  bool
}

// commit writes a block and all it changes in one synced batch.
func (s *DB) commit(w blockWrite) error {
	b := s.kv.NewBatch()
	h := w.block.Height()
	hash := w.block.Hash()
	b.Put(heightKey(kBlockByHeight, h), w.block.Bytes())
	b.Put(prefixed(kHashToHeight, hash[:]), heightKey(0, h)[1:])
	if w.cert != nil {
		raw, err := rlp.EncodeToBytes(w.cert)
		if err != nil {
			return err
		}
		b.Put(heightKey(kCertificate, h), raw)
	}
	if lc := w.block.Header.LastCommit; lc != nil {
		raw, err := rlp.EncodeToBytes(lc)
		if err != nil {
			return err
		}
		b.Put(heightKey(kCertificate, lc.Height), raw)
	}
	raw, err := rlp.EncodeToBytes(w.receipts)
	if err != nil {
		return err
	}
	b.Put(heightKey(kReceipts, h), raw)
	for i, tx := range w.block.Txs {
		loc, _ := rlp.EncodeToBytes(TxLocation{Height: h, Index: uint32(i)})
		th := tx.Hash()
		b.Put(prefixed(kTxIndex, th[:]), loc)
	}
	for _, c := range w.changes {
		if c.Value == nil {
			b.Delete(prefixed(kState, c.Key))
		} else {
			b.Put(prefixed(kState, c.Key), c.Value)
		}
	}
	for _, c := range trieNodeChanges(w.nodes) {
		if c.Value == nil {
			b.Delete(prefixed(kTrieNode, c.Key))
		} else {
			b.Put(prefixed(kTrieNode, c.Key), c.Value)
		}
	}
	for _, c := range w.index {
		if c.Value == nil {
			b.Delete(c.Key)
		} else {
			b.Put(c.Key, c.Value)
		}
	}
	if w.genesis {
		b.Put(metaGenesis, hash[:])
	}
	b.Put(metaHead, heightKey(0, h)[1:])
	if err := s.kv.Write(b); err != nil {
		return fmt.Errorf("commit block %d: %w", h, err)
	}
	if s.nodes != nil {
		s.nodes.committed(trieNodeChanges(w.nodes))
	}
	return nil
}

// iteratePrefix is a helper for audits and tests.
func (s *DB) iteratePrefix(prefix byte, fn func(key, value []byte) error) error {
	var ferr error
	r := util.BytesPrefix([]byte{prefix})
	err := s.kv.Scan(r.Start, r.Limit, false, func(key, value []byte) bool {
		ferr = fn(key[1:], value)
		return ferr == nil
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// Transaction reads a final transaction and its receipt by hash. Of the
// stored block and receipts it decodes only these two, skipping the others
// in their encodings.
func (s *DB) Transaction(h common.Hash) (*chain.Tx, *chain.Receipt, TxLocation, bool, error) {
	loc, ok, err := s.TxLocation(h)
	if err != nil || !ok {
		return nil, nil, loc, false, err
	}
	rawBlock, err := s.get(heightKey(kBlockByHeight, loc.Height))
	if err != nil {
		return nil, nil, loc, false, fmt.Errorf("read block %d: %w", loc.Height, err)
	}
	rawTxs, err := listElement(rawBlock, 1) // Block{Header, Txs}
	if err != nil {
		return nil, nil, loc, false, fmt.Errorf("block %d: %w", loc.Height, err)
	}
	rawTx, err := listElement(rawTxs, int(loc.Index))
	if err != nil {
		return nil, nil, loc, false, fmt.Errorf("tx %s in block %d: %w", h, loc.Height, err)
	}
	tx, err := chain.DecodeTx(rawTx)
	if err != nil {
		return nil, nil, loc, false, fmt.Errorf("tx %s in block %d: %w", h, loc.Height, err)
	}
	rawReceipts, err := s.get(heightKey(kReceipts, loc.Height))
	if err != nil {
		return nil, nil, loc, false, fmt.Errorf("read receipts %d: %w", loc.Height, err)
	}
	rawReceipt, err := listElement(rawReceipts, int(loc.Index))
	if err != nil {
		return nil, nil, loc, false, fmt.Errorf("receipt of %s in block %d: %w", h, loc.Height, err)
	}
	rec := new(chain.Receipt)
	if err := rlp.DecodeBytes(rawReceipt, rec); err != nil {
		return nil, nil, loc, false, fmt.Errorf("decode receipt of %s: %w", h, err)
	}
	return tx, rec, loc, true, nil
}

// listElement is the i-th element (with its RLP header) of the RLP list raw.
func listElement(raw []byte, i int) ([]byte, error) {
	content, _, err := rlp.SplitList(raw)
	if err != nil {
		return nil, err
	}
	for k := 0; ; k++ {
		if len(content) == 0 {
			return nil, fmt.Errorf("list has %d elements, want index %d", k, i)
		}
		_, _, rest, err := rlp.Split(content)
		if err != nil {
			return nil, err
		}
		if k == i {
			return content[:len(content)-len(rest)], nil
		}
		content = rest
	}
}
