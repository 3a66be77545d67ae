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
	prefix := prefixed(kState, []byte{chain.PrefixEvidence})
	if offender != nil {
		prefix = append(prefix, offender[:]...)
	}
	end := prefixed(kState, []byte{chain.PrefixEvidence + 1})
	var out []chain.EvidenceRecord
	var derr error
	err := l.store.scan(prefix, end, false, func(k, v []byte) bool {
		if len(out) >= limit || !bytes.HasPrefix(k, prefix) {
			return false
		}
		var rec chain.EvidenceRecord
		if err := rlp.DecodeBytes(v, &rec); err != nil {
			derr = fmt.Errorf("decode evidence %x: %w", k[1:], err)
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
