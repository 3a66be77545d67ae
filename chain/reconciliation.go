package chain

import "github.com/ethereum/go-ethereum/common"

// EscrowQuery selects escrows. With Account set, the escrows it is a
// party to, newest first; without, the open escrows in expiry order
// (Status must then be open or unset).
type EscrowQuery struct {
	Account *common.Address
	Status  EscrowStatus // 0: any
	Limit   int          // 0: 100
}

// BankRecord is one record a bank must report on: an escrow of one of its
// customers, a payout, or a feedback that named no record at all.
type BankRecord struct {
	Height    uint64
	Escrow    *Escrow
	Payout    *Payout
	Exception *Exception // for a feedback that named no record
}

// Track is the record's feedback tracking (nil for a bare exception).
func (r *BankRecord) Track() *BankTrack {
	switch {
	case r.Escrow != nil:
		return &r.Escrow.Track
	case r.Payout != nil:
		return &r.Payout.Track
	}
	return nil
}

// Status is the record's bank status at block time now.
func (r *BankRecord) Status(now uint64) string {
	if t := r.Track(); t != nil {
		return t.Status(now)
	}
	return BankMismatch
}

// Reconciliation sorts a bank's records created in a block range by
// where the bank's feedback stands, as of the head's block time.
type Reconciliation struct {
	Bank       common.Address
	From, To   uint64 // block range, inclusive
	Height     uint64 // head the report was made at
	Time       uint64 // the head's block time: overdue is judged against it
	Matched    []BankRecord
	Waiting    []BankRecord
	Overdue    []BankRecord
	Mismatched []BankRecord
}

// MaxReconcileRecords bounds one reconciliation report.
const MaxReconcileRecords = 10000
