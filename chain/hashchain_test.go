package chain

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"pgregory.net/rapid"
)

func TestHashChain(t *testing.T) {
	hc := NewHashChain(common.Hash{7}, 5000)
	prev := hc.Tip()
	for k := uint64(1); k <= hc.Length(); k++ {
		r, err := hc.Reveal(k)
		if err != nil {
			t.Fatal(err)
		}
		if keccak(r[:]) != prev {
			t.Fatalf("reveal %d does not hash to reveal %d", k, k-1)
		}
		prev = r
	}
	if prev != (common.Hash{7}) {
		t.Fatal("the last reveal is not the secret")
	}
	if _, err := hc.Reveal(5001); err == nil {
		t.Fatal("reveal past the end must fail")
	}
}

func TestHolderIsAPermutation(t *testing.T) {
	var vals []Validator
	for i := 0; i < 7; i++ {
		vals = append(vals, Validator{Address: testAddress("validator", i), Power: 1})
	}
	vs := NewValidatorSet(vals)
	seen := map[common.Address]bool{}
	for r := uint32(0); r < 7; r++ {
		seen[vs.Holder(common.Hash{9}, r)] = true
	}
	if len(seen) != 7 {
		t.Fatalf("rounds 0..6 pick %d distinct holders, want 7", len(seen))
	}
	if vs.Holder(common.Hash{9}, 0) == vs.Holder(common.Hash{10}, 0) && vs.Holder(common.Hash{11}, 0) == vs.Holder(common.Hash{12}, 0) {
		t.Log("note: same holder for different seeds (possible by chance)")
	}
}

// TestRevealAnyOrder holds the segment cache to the definition: whatever
// order reveals are asked in (a restart, a rotation, a lookup of an old
// one), x_k is the secret hashed length-k times.
func TestRevealAnyOrder(t *testing.T) {
	const length = 3*hashChainStride + 100
	secret := common.Hash{3}
	want := make([]common.Hash, length+1) // want[k] = x_k
	want[length] = secret
	for k := length; k > 0; k-- {
		want[k-1] = keccak(want[k][:])
	}
	hc := NewHashChain(secret, length)
	rapid.Check(t, func(t *rapid.T) {
		for _, k := range rapid.SliceOfN(rapid.Uint64Range(1, length), 1, 20).Draw(t, "reveals") {
			got, err := hc.Reveal(k)
			if err != nil {
				t.Fatal(err)
			}
			if got != want[k] {
				t.Fatalf("reveal %d: got %s, want %s", k, got, want[k])
			}
		}
	})
}

// BenchmarkRevealInOrder is a proposer's use: the next reveal, then the one
// after, as its blocks follow one another.
func BenchmarkRevealInOrder(b *testing.B) {
	hc := NewHashChain(common.Hash{5}, DefaultHashChainLength)
	k := uint64(1)
	for b.Loop() {
		if _, err := hc.Reveal(k); err != nil {
			b.Fatal(err)
		}
		k = k%DefaultHashChainLength + 1
	}
}
