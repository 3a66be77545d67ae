package ledger

import (
	"encoding/binary"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// expiring is a kind of record the chain itself ends at its expiry, at the
// start of the first block whose time is past it: escrows and payment
// requests. Each has a secondary index of its open records in expiry order
// (expiry ‖ id), kept beside the state and written in the block's batch
// (ADR 0005); this is the one implementation of that index for both.
type expiring struct {
	what        string
	statePrefix byte // the records' state key prefix
	indexPrefix byte // the expiry index's key prefix
	// decoded reads a decoded state object of this kind (ok false for
	// another type).
	decoded func(v any) (expiry uint64, id common.Hash, open, ok bool)
	// decode decodes a stored value into the object decoded reads.
	decode func(raw []byte) (any, error)
}

var (
	escrowExpiry = expiring{what: "escrow", statePrefix: chain.PrefixEscrow, indexPrefix: kExpiry,
		decoded: func(v any) (uint64, common.Hash, bool, bool) {
			e, ok := v.(*chain.Escrow)
			if !ok {
				return 0, common.Hash{}, false, false
			}
			return e.Expiry, e.ID, e.Status == chain.EscrowOpen, true
		},
		decode: func(raw []byte) (any, error) { e := new(chain.Escrow); return e, rlp.DecodeBytes(raw, e) },
	}
	requestExpiry = expiring{what: "request", statePrefix: chain.PrefixRequest, indexPrefix: kRequestExpiry,
		decoded: func(v any) (uint64, common.Hash, bool, bool) {
			r, ok := v.(*chain.Request)
			if !ok {
				return 0, common.Hash{}, false, false
			}
			return r.Expiry, r.ID, r.Status == chain.RequestOpen, true
		},
		decode: func(raw []byte) (any, error) { r := new(chain.Request); return r, rlp.DecodeBytes(raw, r) },
	}
	expiringKinds = []expiring{escrowExpiry, requestExpiry}
)

// indexKey orders open records by expiry.
func (x expiring) indexKey(expiry uint64, id common.Hash) []byte {
	k := make([]byte, 0, 1+8+common.HashLength)
	k = append(k, x.indexPrefix)
	k = binary.BigEndian.AppendUint64(k, expiry)
	return append(k, id[:]...)
}

// scanDue lists the committed open records with expiry before before, in
// expiry order, from the index.
func (x expiring) scanDue(k stateKV, before uint64, fn func(id common.Hash) bool) error {
	return k.s.scan([]byte{x.indexPrefix}, binary.BigEndian.AppendUint64([]byte{x.indexPrefix}, before), false, func(key, _ []byte) bool {
		return fn(common.BytesToHash(key[9:]))
	})
}

// memDue is scanDue over an in-memory state, by decoding every record
// (tests and genesis only).
func (x expiring) memDue(m MemKV, before uint64, fn func(id common.Hash) bool) error {
	var due [][]byte
	for k, raw := range m {
		if k[0] != x.statePrefix {
			continue
		}
		v, err := x.decode(raw)
		if err != nil {
			return err
		}
		if expiry, id, open, _ := x.decoded(v); open && expiry < before {
			due = append(due, x.indexKey(expiry, id))
		}
	}
	sort.Slice(due, func(i, j int) bool { return string(due[i]) < string(due[j]) })
	for _, key := range due {
		if !fn(common.BytesToHash(key[9:])) {
			break
		}
	}
	return nil
}

// indexChanges lists the index entries the block's writes add (records
// written open) and remove (records written ended), from the decoded
// records the state holds.
func (x expiring) indexChanges(s *State) []Change {
	var out []Change
	for k := range s.dirty {
		if k[0] != x.statePrefix {
			continue
		}
		expiry, id, open, ok := x.decoded(s.objects[k])
		if !ok {
			continue
		}
		c := Change{Key: x.indexKey(expiry, id)}
		if open {
			c.Value = []byte{}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].Key) < string(out[j].Key) })
	return out
}

// expiryIndexes lists the block's changes to every expiry index.
func (s *State) expiryIndexes() []Change {
	var out []Change
	for _, x := range expiringKinds {
		out = append(out, x.indexChanges(s)...)
	}
	return out
}

// DueEscrows implements KV over the committed expiry index.
func (k stateKV) DueEscrows(before uint64, fn func(id common.Hash) bool) error {
	return escrowExpiry.scanDue(k, before, fn)
}

// DueRequests implements KV over the committed request expiry index.
func (k stateKV) DueRequests(before uint64, fn func(id common.Hash) bool) error {
	return requestExpiry.scanDue(k, before, fn)
}

// DueEscrows implements KV by decoding every escrow (tests only).
func (m MemKV) DueEscrows(before uint64, fn func(id common.Hash) bool) error {
	return escrowExpiry.memDue(m, before, fn)
}

// DueRequests implements KV by decoding every request (tests only).
func (m MemKV) DueRequests(before uint64, fn func(id common.Hash) bool) error {
	return requestExpiry.memDue(m, before, fn)
}

// expiryIndexKey orders open escrows by expiry.
func expiryIndexKey(expiry uint64, id common.Hash) []byte { return escrowExpiry.indexKey(expiry, id) }
