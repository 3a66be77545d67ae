package ledger

import (
	"math/bits"

	"github.com/sovereign-ledger/sovereign/chain"
)

// addAmount returns a+b or ErrOverflow.
func addAmount(a, b uint64) (uint64, error) {
	sum, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return 0, chain.ErrOverflow
	}
	return sum, nil
}

// subAmount returns a-b or ErrInsufficientFunds.
func subAmount(a, b uint64) (uint64, error) {
	diff, borrow := bits.Sub64(a, b, 0)
	if borrow != 0 {
		return 0, chain.ErrInsufficientFunds
	}
	return diff, nil
}
