package chain

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestBlockHashCache: a decoded block's hash is computed once and kept; a
// block built in memory is rehashed on every call, so changing its header
// changes its hash; encoding is unchanged by the cache.
func TestBlockHashCache(t *testing.T) {
	built := &Block{Header: &Header{ChainID: "c", Height: 3, Time: 9}}
	h1 := built.Hash()
	built.Header.Time++
	if built.Hash() == h1 || built.Hash() != built.Header.Hash() {
		t.Fatal("a built block's hash must follow its header")
	}
	decoded, err := DecodeBlock(built.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if decoded.Hash() != built.Hash() || decoded.hash.Load() == nil {
		t.Fatal("a decoded block's hash must be cached and equal the header's")
	}
	if got := decoded.Bytes(); string(got) != string(built.Bytes()) {
		t.Fatal("the cache must not change the encoding")
	}
	decoded.hash.Store(&common.Hash{1}) // the cache is what Hash returns
	if decoded.Hash() != (common.Hash{1}) {
		t.Fatal("Hash does not read the cache")
	}
}

func BenchmarkDecodedBlockHash(b *testing.B) {
	blk, _ := DecodeBlock((&Block{Header: &Header{ChainID: "c", Height: 3}}).Bytes())
	for b.Loop() {
		blk.Hash()
	}
}
