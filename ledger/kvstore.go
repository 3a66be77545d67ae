package ledger

import (
	"github.com/syndtr/goleveldb/leveldb/iterator"
)

// Store is the storage the ledger runs on: an ordered key-value store with
// atomic batches. The goleveldb store (OpenLevelDB) is the node's; the
// in-memory twin (NewMemStore) runs the same ledger in tests and tools, so
// there is one set of rules and one storage layout, over either.
type Store interface {
	// Get returns the value stored under key, or nil when there is none.
	Get(key []byte) ([]byte, error)
	// Scan calls fn for each key in [start, limit) in key order (reverse:
	// descending) until fn returns false. fn must not keep key or value.
	Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error
	// NewBatch starts a batch of writes that Write applies all at once.
	NewBatch() Batch
	// Write applies b atomically. The disk store syncs it before returning:
	// a block that Write acknowledged survives a crash.
	Write(b Batch) error
	// View returns a consistent read-only view of the store as it is now,
	// unchanged by later writes, for long reads beside a running node (a
	// state snapshot export). Release it when done.
	View() (View, error)
	// Close releases the store.
	Close() error
}

// View is a read-only view of a Store at one moment (Store.View).
type View interface {
	Get(key []byte) ([]byte, error)
	Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error
	Release()
}

// Batch collects writes for Store.Write.
type Batch interface {
	Put(key, value []byte)
	Delete(key []byte)
}

// scanIterator runs Store.Scan over a goleveldb-style iterator: the disk
// store's and the memory store's are the same interface.
func scanIterator(it iterator.Iterator, reverse bool, fn func(key, value []byte) bool) error {
	defer it.Release()
	if reverse {
		for ok := it.Last(); ok; ok = it.Prev() {
			if !fn(it.Key(), it.Value()) {
				break
			}
		}
	} else {
		for it.Next() {
			if !fn(it.Key(), it.Value()) {
				break
			}
		}
	}
	return it.Error()
}
