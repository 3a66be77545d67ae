package ledger

import (
	"bytes"
	"testing"
)

// TestReadCacheNeverKeepsAReplacedValue: a read that went to the store
// before a commit landed, and returns after it, must not leave the old
// value cached over the committed one; deletions drop cached values.
func TestReadCacheNeverKeepsAReplacedValue(t *testing.T) {
	c := newReadCache(16)
	key := []byte("acct")
	store := map[string][]byte{"acct": []byte("old")}
	load := func(k []byte) ([]byte, error) { return store[string(k)], nil }

	loading, release := make(chan struct{}), make(chan struct{})
	slowLoad := func(k []byte) ([]byte, error) {
		v := store[string(k)] // read before the commit lands
		close(loading)
		<-release
		return v, nil
	}
	got := make(chan []byte)
	go func() {
		v, _ := c.get(key, slowLoad)
		got <- v
	}()
	<-loading
	store["acct"] = []byte("new")
	c.committed([]Change{{Key: key, Value: []byte("new")}})
	close(release)
	if v := <-got; !bytes.Equal(v, []byte("old")) {
		t.Fatalf("the racing read returned %q, want the value it read, %q", v, "old")
	}
	if v, _ := c.get(key, load); !bytes.Equal(v, []byte("new")) {
		t.Fatalf("after the commit the cache answers %q, want %q", v, "new")
	}

	delete(store, "acct")
	c.committed([]Change{{Key: key}})
	if v, _ := c.get(key, load); v != nil {
		t.Fatalf("a deleted key reads %q, want absent", v)
	}
}

// TestReadCacheServesHits: a cached value is answered without the store.
func TestReadCacheServesHits(t *testing.T) {
	c := newReadCache(16)
	loads := 0
	load := func([]byte) ([]byte, error) { loads++; return []byte("v"), nil }
	for range 3 {
		if v, _ := c.get([]byte("k"), load); string(v) != "v" {
			t.Fatalf("read %q", v)
		}
	}
	if loads != 1 {
		t.Fatalf("%d store reads for three reads of one key, want 1", loads)
	}
}
