package chain

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// EscrowStatus is where an escrow is in its life (docs/ESCROW.md). Open is
// the only state that is not final: an escrow ends exactly once.
type EscrowStatus uint8

const (
	EscrowOpen     EscrowStatus = 1
	EscrowReleased EscrowStatus = 2
	EscrowRefunded EscrowStatus = 3
	EscrowExpired  EscrowStatus = 4
)

var escrowStatusNames = map[EscrowStatus]string{
	EscrowOpen: "open", EscrowReleased: "released", EscrowRefunded: "refunded", EscrowExpired: "expired",
}

func (s EscrowStatus) String() string { return statusName(escrowStatusNames, s) }

// ParseEscrowStatus is the inverse of String.
func ParseEscrowStatus(name string) (EscrowStatus, bool) {
	for s, n := range escrowStatusNames {
		if n == name {
			return s, true
		}
	}
	return 0, false
}

// MaxEscrowLifetime bounds how far past the hold's block an expiry may be.
const MaxEscrowLifetime = 366 * 24 * time.Hour

// Escrow is a hold and what became of it. Its id is the hash of the hold
// transaction (the record number).
type Escrow struct {
	ID      common.Hash
	Payer   common.Address
	Payee   common.Address
	Arbiter common.Address // zero: none
	Asset   string
	Amount  uint64 // held
	Expiry  uint64 // block time (ms) after which the chain voids it
	Status  EscrowStatus

	OpenedHeight uint64
	OpenedAt     uint64 // block time, ms
	EndedHeight  uint64 // 0 while open
	EndedAt      uint64
	Released     uint64 // went to the payee's locked balance
	Returned     uint64 // went back to the payer's available balance
	UnlockAt     uint64 // when the released part becomes available to the payee

	Track BankTrack // the payer's bank's feedback
}

// Copy returns a deep copy.
func (e *Escrow) Copy() *Escrow {
	c := *e
	c.Track = e.Track.Copy()
	return &c
}

// EscrowKey is the state key of an escrow.
func EscrowKey(id common.Hash) []byte { return append([]byte{PrefixEscrow}, id[:]...) }

// Parties are the accounts an escrow concerns: payer, payee, arbiter.
func (e *Escrow) Parties() []common.Address {
	out := []common.Address{e.Payer, e.Payee}
	if e.Arbiter != (common.Address{}) {
		out = append(out, e.Arbiter)
	}
	return out
}
