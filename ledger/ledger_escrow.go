package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Queries over escrows, payouts and bank feedback, all against the
// committed (final) state at the head.

// Escrow reads a committed escrow.
func (l *Ledger) Escrow(id common.Hash) (*chain.Escrow, bool, error) {
	st := l.State()
	e, ok := st.Escrow(id)
	return e, ok, st.Err()
}

// Payout reads a committed payout.
func (l *Ledger) Payout(id common.Hash) (*chain.Payout, bool, error) {
	st := l.State()
	p, ok := st.Payout(id)
	return p, ok, st.Err()
}

// Bank reads a member bank (with its public key once known).
func (l *Ledger) Bank(a common.Address) (*chain.BankInfo, bool, error) {
	st := l.State()
	b, ok := st.Bank(a)
	if !ok {
		return nil, false, st.Err()
	}
	c := *b
	return &c, true, st.Err()
}

// Escrows lists escrows matching q.
func (l *Ledger) Escrows(q chain.EscrowQuery) ([]*chain.Escrow, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	st := l.State()
	var ids []common.Hash
	var err error
	if q.Account == nil {
		if q.Status != 0 && q.Status != chain.EscrowOpen {
			return nil, fmt.Errorf("listing escrows that are %s needs an account", q.Status)
		}
		err = l.store.scan([]byte{kExpiry}, []byte{kExpiry + 1}, false, func(k, _ []byte) bool {
			ids = append(ids, common.BytesToHash(k[9:]))
			return len(ids) < limit
		})
	} else {
		start := append([]byte{kEscrowByAccount}, q.Account[:]...)
		end := append([]byte{kEscrowByAccount}, q.Account[:]...)
		end = append(end, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		err = l.store.scan(start, end, true, func(k, _ []byte) bool {
			ids = append(ids, common.BytesToHash(k[len(k)-32:]))
			return true
		})
	}
	if err != nil {
		return nil, fmt.Errorf("read escrow index: %w", err)
	}
	var out []*chain.Escrow
	for _, id := range ids {
		e, ok := st.Escrow(id)
		if !ok {
			if st.Err() != nil {
				return nil, st.Err()
			}
			return nil, fmt.Errorf("escrow index names %s, which is not in state", id)
		}
		if q.Status != 0 && e.Status != q.Status {
			continue
		}
		out = append(out, e)
		if len(out) >= limit {
			break
		}
	}
	return out, st.Err()
}

// BankRecords lists the records of bank created in blocks from..to.
func (l *Ledger) BankRecords(bank common.Address, from, to uint64) ([]chain.BankRecord, error) {
	var out []chain.BankRecord
	var ierr error
	err := l.eachBankRecord(l.State(), bank, from, to, func(rec chain.BankRecord) bool {
		if len(out) >= chain.MaxReconcileRecords {
			ierr = fmt.Errorf("more than %d records in blocks %d..%d: ask for a shorter range", chain.MaxReconcileRecords, from, to)
			return false
		}
		out = append(out, rec)
		return true
	})
	if err == nil {
		err = ierr
	}
	return out, err
}

// BankRecordCounts counts bank's records created in blocks from..to by
// bank status at the head (chain.BankMatched, BankWaiting, BankOverdue,
// BankMismatch), without the bound of a report: the node's metrics.
func (l *Ledger) BankRecordCounts(bank common.Address, from, to uint64) (map[string]int, error) {
	now := l.Head().Time
	counts := map[string]int{}
	err := l.eachBankRecord(l.State(), bank, from, to, func(rec chain.BankRecord) bool {
		counts[rec.Status(now)]++
		return true
	})
	return counts, err
}

// eachBankRecord calls fn for each record of bank created in blocks
// from..to, read from st, until fn returns false.
func (l *Ledger) eachBankRecord(st *State, bank common.Address, from, to uint64, fn func(chain.BankRecord) bool) error {
	if to < from {
		return fmt.Errorf("block range %d..%d is empty", from, to)
	}
	start := binary.BigEndian.AppendUint64(append([]byte{kBankRecord}, bank[:]...), from)
	end := append([]byte{kBankRecord}, bank[:]...)
	if to == ^uint64(0) {
		end = append(end, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	} else {
		end = binary.BigEndian.AppendUint64(end, to+1)
	}
	var ierr error
	err := l.store.scan(start, end, false, func(k, v []byte) bool {
		height := binary.BigEndian.Uint64(k[21:29])
		id := common.BytesToHash(k[29:])
		rec := chain.BankRecord{Height: height}
		switch v[0] {
		case bankRecordEscrow:
			e, ok := st.Escrow(id)
			if !ok {
				ierr = fmt.Errorf("bank index names escrow %s, which is not in state", id)
				return false
			}
			rec.Escrow = e
		case bankRecordPayout:
			p, ok := st.Payout(id)
			if !ok {
				ierr = fmt.Errorf("bank index names payout %s, which is not in state", id)
				return false
			}
			rec.Payout = p
		case bankRecordException:
			ex := new(chain.Exception)
			if err := rlp.DecodeBytes(v[1:], ex); err != nil {
				ierr = fmt.Errorf("decode exception %s: %w", id, err)
				return false
			}
			rec.Exception = ex
		}
		return fn(rec)
	})
	if err == nil {
		err = ierr
	}
	if err == nil {
		err = st.Err()
	}
	return err
}

// Reconcile reports bank's records created in blocks from..to by bank
// status at the head.
func (l *Ledger) Reconcile(bank common.Address, from, to uint64) (*chain.Reconciliation, error) {
	head := l.Head()
	recs, err := l.BankRecords(bank, from, to)
	if err != nil {
		return nil, err
	}
	r := &chain.Reconciliation{Bank: bank, From: from, To: to, Height: head.Height, Time: head.Time}
	for _, rec := range recs {
		switch rec.Status(head.Time) {
		case chain.BankMatched:
			r.Matched = append(r.Matched, rec)
		case chain.BankWaiting:
			r.Waiting = append(r.Waiting, rec)
		case chain.BankOverdue:
			r.Overdue = append(r.Overdue, rec)
		default:
			r.Mismatched = append(r.Mismatched, rec)
		}
	}
	return r, nil
}
