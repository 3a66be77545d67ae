package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/trie"
)

// CheckConsistency verifies that what the store holds agrees with itself:
// the head block and its certificate are there, the block-hash index points
// at it, and the flat state hashes to the head's state root. It is what a
// node runs after an unclean shutdown and what tests run after a kill -9.
func (l *Ledger) CheckConsistency() error {
	head := l.Head()
	b, err := l.store.BlockByHeight(head.Height)
	if err != nil {
		return fmt.Errorf("head block: %w", err)
	}
	if h, err := l.store.HeightOf(b.Hash()); err != nil || h != head.Height {
		return fmt.Errorf("hash index for head %d: height %d, %v", head.Height, h, err)
	}
	if head.Height > 0 {
		if _, err := l.store.Certificate(head.Height); err != nil {
			return fmt.Errorf("head certificate: %w", err)
		}
	}
	if _, err := l.store.Receipts(head.Height); err != nil {
		return fmt.Errorf("head receipts: %w", err)
	}
	root, err := l.flatStateRoot()
	if err != nil {
		return err
	}
	if root != head.StateRoot {
		return fmt.Errorf("flat state hashes to %s, head %d claims %s", root, head.Height, head.StateRoot)
	}
	return l.checkExpiryIndex()
}

// checkExpiryIndex verifies that each expiry index lists exactly the open
// records of its kind in the flat state (escrows, payment requests): the
// ledger ends them by these indexes.
func (l *Ledger) checkExpiryIndex() error {
	for _, x := range expiringKinds {
		if err := l.checkOpenIndex(x); err != nil {
			return err
		}
	}
	return nil
}

func (l *Ledger) checkOpenIndex(x expiring) error {
	want := map[string]bool{}
	err := l.store.iteratePrefix(kState, func(k, raw []byte) error {
		if len(k) == 0 || k[0] != x.statePrefix {
			return nil
		}
		v, err := x.decode(raw)
		if err != nil {
			return fmt.Errorf("decode %s %x: %w", x.what, k, err)
		}
		if expiry, id, open, _ := x.decoded(v); open {
			want[string(x.indexKey(expiry, id))] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := 0
	err = l.store.iteratePrefix(x.indexPrefix, func(k, _ []byte) error {
		if !want[string(append([]byte{x.indexPrefix}, k...))] {
			return fmt.Errorf("%s expiry index lists %x, which is no open %s", x.what, k, x.what)
		}
		n++
		return nil
	})
	if err == nil && n != len(want) {
		err = fmt.Errorf("%s expiry index lists %d, state has %d open", x.what, n, len(want))
	}
	return err
}

// flatStateRoot rebuilds the state commitment from scratch out of the flat
// state.
func (l *Ledger) flatStateRoot() ([32]byte, error) {
	var changes []Change
	err := l.store.iteratePrefix(kState, func(k, v []byte) error {
		changes = append(changes, Change{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
		return nil
	})
	if err != nil {
		return [32]byte{}, fmt.Errorf("read flat state: %w", err)
	}
	root, _, err := updateTrie(trie.NewEmpty(nil), changes)
	return root, err
}
