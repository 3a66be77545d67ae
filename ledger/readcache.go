package ledger

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Entries kept by the read caches: the accounts of a busy consortium
// (about 200 bytes each), and the upper levels of the state trie.
const (
	stateCacheEntries = 1 << 17
	trieCacheEntries  = 1 << 16
)

// readCache keeps recently read and written values of one kind in front of
// the store: the flat state, and the state trie's nodes. A node's
// goleveldb memtable holds every block's writes (transaction index,
// receipts, trie nodes), so a read searches a large skip list: in issue
// 11's profiles at 1,000 tx/s account reads were 9 % of a validator's CPU
// (the pool's admission checks and execution) and trie-node reads 4 %
// (after each commit the ledger reopens the trie at the new root and
// resolves the touched paths again). A micro-benchmark on a fresh store
// showed no gain for accounts; the running node is where it pays.
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

// absent is what the cache holds for a key the store does not have: most
// accounts have no policy, alias or sub-account, and every debit asks.
var absent = []byte{}

func newReadCache(entries int) *readCache {
	values, _ := simplelru.NewLRU[string, []byte](entries, nil)
	return &readCache{values: values}
}

// get returns the value under key (nil when absent), reading through to
// load on a miss.
func (c *readCache) get(key []byte, load func([]byte) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if v, ok := c.values.Get(string(key)); ok {
		c.mu.Unlock()
		if len(v) == 0 {
			return nil, nil
		}
		return v, nil
	}
	gen := c.gen
	c.mu.Unlock()
	v, err := load(key)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		if v == nil {
			c.values.Add(string(key), absent)
		} else {
			c.values.Add(string(key), v)
		}
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
			c.values.Add(string(ch.Key), absent)
		} else {
			c.values.Add(string(ch.Key), ch.Value)
		}
	}
}
