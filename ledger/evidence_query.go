package ledger

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// EvidenceRecords lists the accepted equivocation evidence in committed
// state, in key order (by offender, then the offence's height, round and
// vote type), only against offender when given, at most limit records.
func (l *Ledger) EvidenceRecords(offender *common.Address, limit int) ([]chain.EvidenceRecord, error) {
	return scanRecords[chain.EvidenceRecord](l, []byte{chain.PrefixEvidence}, []byte{chain.PrefixEvidence + 1}, offender, limit, "evidence")
}

// scanRecords decodes up to limit state records of type T from the keys
// from start (narrowed to one offender's, if given) up to end.
func scanRecords[T any](l *Ledger, start, end []byte, offender *common.Address, limit int, what string) ([]T, error) {
	prefix := prefixed(kState, start)
	if offender != nil {
		prefix = append(prefix, offender[:]...)
	}
	var out []T
	var derr error
	err := l.store.scan(prefix, prefixed(kState, end), false, func(k, v []byte) bool {
		if len(out) >= limit || !bytes.HasPrefix(k, prefix) {
			return false
		}
		var rec T
		if err := rlp.DecodeBytes(v, &rec); err != nil {
			derr = fmt.Errorf("decode %s %x: %w", what, k[1:], err)
			return false
		}
		out = append(out, rec)
		return true
	})
	if err == nil {
		err = derr
	}
	return out, err
}
