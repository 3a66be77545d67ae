package ledger

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// trieCacheEntries bounds the trie nodes kept in memory: the upper levels
// of the state trie, which every block walks again.
const trieCacheEntries = 1 << 16

// readCache keeps recently read and written values of one kind in front of
// the store. It serves the state trie's nodes: after each commit the
// ledger reopens the trie at the new root, so every block resolved the
// paths of the keys it touches from goleveldb again (4 % of a validator's
// CPU at 1,000 tx/s in the profile of issue 11, all in goleveldb's
// memtable search). A flat-state cache was tried too and did not pay:
// accounts read as fast from goleveldb (docs/PERFORMANCE.md).
//
// Cached values change only in DB.commit, which writes them here after the
// batch is durable. A reader that went to the store while a commit was
// landing may hold the old value; gen makes it drop that value instead of
// caching it over the new one.
type readCache struct {
	mu     sync.Mutex
	gen    uint64 // commits so far
	values *simplelru.LRU[string, []byte]
}

func newReadCache(entries int) *readCache {
	values, _ := simplelru.NewLRU[string, []byte](entries, nil)
	return &readCache{values: values}
}

// get returns the value under key, reading through to load on a miss. An
// absent key is not cached: keys are read far more often than they are
// missing.
func (c *readCache) get(key []byte, load func([]byte) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if v, ok := c.values.Get(string(key)); ok {
		c.mu.Unlock()
		return v, nil
	}
	gen := c.gen
	c.mu.Unlock()
	v, err := load(key)
	if err != nil || v == nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.values.Add(string(key), v)
	}
	c.mu.Unlock()
	return v, nil
}

// committed records a durable block's changes of this kind.
func (c *readCache) committed(changes []Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, ch := range changes {
		if ch.Value == nil {
			c.values.Remove(string(ch.Key))
		} else {
			c.values.Add(string(ch.Key), ch.Value)
		}
	}
}
