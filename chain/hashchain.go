package chain

import (
	"fmt"

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
	top := (k + hc.stride - 1) / hc.stride * hc.stride // first checkpoint at or above k
	x := hc.secret
	if top <= hc.length {
		x = hc.checkpoints[top/hc.stride]
	} else {
		top = hc.length
	}
	for i := top; i > k; i-- {
		x = keccak(x[:])
	}
	return x, nil
}

// Length is the number of reveals.
func (hc *HashChain) Length() uint64 { return hc.length }
