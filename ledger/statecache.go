package ledger

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// stateCacheEntries bounds the flat-state values kept in memory: every
// account of a busy consortium, at about 200 bytes each.
const stateCacheEntries = 1 << 17

// stateCache keeps recently read and written flat-state values in front of
// the store, so the pool's admission checks and block execution do not go
// to goleveldb for the same hot accounts block after block (issue 11's
// profile put those reads at 8–13 % of a validator's CPU).
//
// Committed state changes only in DB.commit, which writes its values here
// after the batch is durable. A reader that went to the store while a
// commit was landing may hold the old value; gen makes it drop that value
// instead of caching it over the new one.
type stateCache struct {
	mu     sync.Mutex
	gen    uint64 // commits so far
	values *simplelru.LRU[string, []byte]
}

func newStateCache() *stateCache {
	values, _ := simplelru.NewLRU[string, []byte](stateCacheEntries, nil)
	return &stateCache{values: values}
}

// get returns the value under key, reading through to load on a miss. An
// absent key is not cached: state keys are read far more often than they
// are missing.
func (c *stateCache) get(key []byte, load func([]byte) ([]byte, error)) ([]byte, error) {
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

// committed records a durable block's state changes.
func (c *stateCache) committed(changes []Change) {
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
