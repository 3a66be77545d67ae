package ledger

import (
	"sync"

	"github.com/syndtr/goleveldb/leveldb/comparer"
	"github.com/syndtr/goleveldb/leveldb/memdb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// MemStore is the in-memory twin of the disk store: the same ordered
// key-value semantics (goleveldb's own memtable), nothing on disk. A batch
// is applied under the store's lock, so Get never sees half of one. Fail
// makes every operation fail, to test how callers meet a broken store.
type MemStore struct {
	mu   sync.RWMutex
	db   *memdb.DB
	fail error
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore { return &MemStore{db: memdb.New(comparer.DefaultComparer, 0)} }

// Fail makes every later call fail with err (nil heals the store).
func (s *MemStore) Fail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *MemStore) Get(key []byte) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.fail != nil {
		return nil, s.fail
	}
	v, err := s.db.Get(key)
	if err != nil {
		return nil, nil // memdb's only error is not-found
	}
	return v, nil
}

// Scan does not hold the store's lock while fn runs (fn may call Get); memdb
// iterators are safe beside concurrent writes.
func (s *MemStore) Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error {
	s.mu.RLock()
	err := s.fail
	s.mu.RUnlock()
	if err != nil {
		return err
	}
	return scanIterator(s.db.NewIterator(&util.Range{Start: start, Limit: limit}), reverse, fn)
}

// memBatch records writes in order; Write replays them under the lock.
type memBatch struct{ ops []memOp }

type memOp struct {
	key, value []byte
	del        bool
}

func (b *memBatch) Put(key, value []byte) {
	b.ops = append(b.ops, memOp{key: append([]byte(nil), key...), value: append([]byte(nil), value...)})
}

func (b *memBatch) Delete(key []byte) {
	b.ops = append(b.ops, memOp{key: append([]byte(nil), key...), del: true})
}

func (s *MemStore) NewBatch() Batch { return new(memBatch) }

func (s *MemStore) Write(b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for _, op := range b.(*memBatch).ops {
		if op.del {
			s.db.Delete(op.key)
		} else {
			s.db.Put(op.key, op.value)
		}
	}
	return nil
}

// View copies the store under its lock: memdb has no snapshots, and the
// memory store holds test-sized chains.
func (s *MemStore) View() (View, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	c := NewMemStore()
	it := s.db.NewIterator(nil)
	defer it.Release()
	for it.Next() {
		_ = c.db.Put(it.Key(), it.Value())
	}
	return memView{c}, it.Error()
}

type memView struct{ *MemStore }

func (memView) Release() {}

// Close is a no-op: the memory goes with the store.
func (s *MemStore) Close() error { return nil }
