package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Secondary indexes over escrows, payouts and feedback exceptions. They are
// not state (the state root does not cover them): each is derived from a
// block's receipts and written in the block's own batch, so it is exactly
// as durable as the block (docs/adr/0005-escrow-feedback-state.md).
const (
	kEscrowByAccount = 'I' // account ‖ height ‖ escrow id → nil: the escrows an account is party to
	kBankRecord      = 'K' // bank ‖ height ‖ id → kind (‖ exception): the records a bank must report on
	kExpiry          = 'Q' // expiry ‖ escrow id → nil: open escrows in expiry order (the ledger voids them by it)
)

// Kinds of bank records in the kBankRecord index.
const (
	bankRecordEscrow    = 'e'
	bankRecordPayout    = 'p'
	bankRecordException = 'x' // a feedback naming no record: the exception itself is the record
)

func accountIndexKey(a common.Address, height uint64, id common.Hash) []byte {
	k := make([]byte, 0, 1+20+8+32)
	k = append(k, kEscrowByAccount)
	k = append(k, a[:]...)
	k = binary.BigEndian.AppendUint64(k, height)
	return append(k, id[:]...)
}

func bankIndexKey(bank common.Address, height uint64, id common.Hash) []byte {
	k := make([]byte, 0, 1+20+8+32)
	k = append(k, kBankRecord)
	k = append(k, bank[:]...)
	k = binary.BigEndian.AppendUint64(k, height)
	return append(k, id[:]...)
}

// indexBlock lists the index entries a block's receipts add.
func indexBlock(b *chain.Block, receipts []*chain.Receipt) []Change {
	var out []Change
	h := b.Height()
	for _, r := range receipts {
		for _, ev := range r.Events {
			switch {
			case ev.Kind == chain.EventEscrowOpened:
				for _, a := range ev.Accounts {
					out = append(out, Change{Key: accountIndexKey(a, h, ev.Record), Value: []byte{}})
				}
				out = append(out, Change{Key: bankIndexKey(ev.Bank, h, ev.Record), Value: []byte{bankRecordEscrow}})
			case ev.Kind == chain.EventWithdrawal:
				out = append(out, Change{Key: bankIndexKey(ev.Bank, h, ev.Record), Value: []byte{bankRecordPayout}})
			case ev.Kind == chain.EventFeedbackException && ev.Reason == chain.ReasonRecordNotFound:
				kind, _ := chain.ParseFeedbackKind(ev.Step)
				ex := chain.Exception{Tx: r.TxHash, Height: h, Time: b.Header.Time, Bank: ev.Bank, Record: ev.Record,
					Kind: kind, Asset: ev.Asset, Amount: ev.Amount, Ref: ev.Ref, Reason: ev.Reason}
				raw, err := rlp.EncodeToBytes(&ex)
				if err != nil {
					panic(fmt.Sprintf("encode exception: %v", err)) // plain struct; cannot fail
				}
				out = append(out, Change{Key: bankIndexKey(ev.Bank, h, r.TxHash), Value: append([]byte{bankRecordException}, raw...)})
			}
		}
	}
	out = append(out, indexRequests(b, receipts)...)
	return append(out, indexApprovals(b, receipts)...)
}

// scan iterates keys with prefix in [start, end) (both within the prefix
// space), ascending, or descending when reverse, until fn returns false.
func (s *DB) scan(start, end []byte, reverse bool, fn func(key, value []byte) bool) error {
	return s.kv.Scan(start, end, reverse, fn)
}
