package chain

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// HashChain is a validator's sequence of reveals: x_L = secret and
// x_{i-1} = Keccak(x_i). The tip x_0 is published in genesis; the k-th block
// the validator produces reveals x_k, which anyone checks by hashing it once
// to x_{k-1}. Only every Stride-th element is kept, so a chain of millions of
// reveals costs kilobytes and each reveal at most Stride hashes.
type HashChain struct {
	length      uint64
	stride      uint64
	secret      common.Hash   // x_length
	checkpoints []common.Hash // checkpoints[j] = x_{j*stride}

	// The segment of the last reveal, so that a validator walking its chain
	// (one reveal per block, in order) pays one hash per reveal instead of
	// up to Stride: segment[i] = x_{segmentTop-i}.
	mu         sync.Mutex
	segmentTop uint64
	segment    []common.Hash
}

// DefaultHashChainLength gives about 12 days of one block a second; a
// validator commits its next chain's tip long before it runs out.
const (
	DefaultHashChainLength = 1 << 20
	hashChainStride        = 1 << 10
)

// NewHashChain derives the chain of length from secret.
func NewHashChain(secret common.Hash, length uint64) *HashChain {
	hc := &HashChain{length: length, stride: hashChainStride, secret: secret}
	hc.checkpoints = make([]common.Hash, length/hc.stride+1)
	x := secret
	for i := length; ; i-- {
		if i%hc.stride == 0 {
			hc.checkpoints[i/hc.stride] = x
		}
		if i == 0 {
			break
		}
		x = keccak(x[:])
	}
	return hc
}

// Tip is x_0, the value published in genesis.
func (hc *HashChain) Tip() common.Hash { return hc.checkpoints[0] }

// Reveal returns x_k, for 1 ≤ k ≤ length.
func (hc *HashChain) Reveal(k uint64) (common.Hash, error) {
	if k == 0 || k > hc.length {
		return common.Hash{}, fmt.Errorf("reveal %d is outside the hash chain (length %d)", k, hc.length)
	}
	top := min((k+hc.stride-1)/hc.stride*hc.stride, hc.length) // first checkpoint at or above k, or the secret
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if hc.segmentTop != top || hc.segment == nil {
		hc.segment, hc.segmentTop = hc.walk(top), top
	}
	return hc.segment[top-k], nil
}

// walk hashes down from x_top to just above the checkpoint below it.
func (hc *HashChain) walk(top uint64) []common.Hash {
	x := hc.secret
	if top%hc.stride == 0 {
		x = hc.checkpoints[top/hc.stride]
	}
	bottom := (top - 1) / hc.stride * hc.stride
	seg := make([]common.Hash, top-bottom)
	for i := range seg {
		if i > 0 {
			x = keccak(x[:])
		}
		seg[i] = x
	}
	return seg
}

// Length is the number of reveals.
func (hc *HashChain) Length() uint64 { return hc.length }
