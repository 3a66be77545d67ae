package ledger

import (
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// levelStore is the node's Store: one goleveldb database, every batch
// written with fsync (docs/adr/0003-storage-layout.md).
type levelStore struct{ db *leveldb.DB }

// OpenLevelDB opens (creating if needed) the goleveldb database in dir.
func OpenLevelDB(dir string) (Store, error) {
	db, err := leveldb.OpenFile(dir, &opt.Options{
		BlockCacheCapacity: 64 << 20,
		WriteBuffer:        32 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return levelStore{db}, nil
}

func (s levelStore) Get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

func (s levelStore) Scan(start, limit []byte, reverse bool, fn func(key, value []byte) bool) error {
	return scanIterator(s.db.NewIterator(&util.Range{Start: start, Limit: limit}, nil), reverse, fn)
}

func (s levelStore) NewBatch() Batch { return new(leveldb.Batch) }

func (s levelStore) Write(b Batch) error {
	return s.db.Write(b.(*leveldb.Batch), &opt.WriteOptions{Sync: true})
}

func (s levelStore) Close() error { return s.db.Close() }
