package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/chain"
)

// RecordByEndToEnd finds the escrow or payout an end-to-end reference names
// (chain/endtoend.go) by scanning the flat state under the id prefix it
// carries. ok is false when none is; two matches are an error, never a
// guess.
func (l *Ledger) RecordByEndToEnd(ref string) (e *chain.Escrow, p *chain.Payout, ok bool, err error) {
	keyPrefix, idPrefix, err := chain.ParseEndToEndID(ref)
	if err != nil {
		return nil, nil, false, err
	}
	start := append([]byte{kState, keyPrefix}, idPrefix...)
	end := append(append([]byte(nil), start...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	var ids []common.Hash
	if err := l.store.scan(start, end, false, func(k, _ []byte) bool {
		ids = append(ids, common.BytesToHash(k[2:]))
		return len(ids) < 2
	}); err != nil {
		return nil, nil, false, fmt.Errorf("find record %s: %w", ref, err)
	}
	switch len(ids) {
	case 0:
		return nil, nil, false, nil
	case 1:
	default:
		return nil, nil, false, fmt.Errorf("end-to-end id %s names two records, %s and %s", ref, ids[0], ids[1])
	}
	st := l.State()
	if keyPrefix == chain.PrefixEscrow {
		e, ok = st.Escrow(ids[0])
	} else {
		p, ok = st.Payout(ids[0])
	}
	return e, p, ok, st.Err()
}
