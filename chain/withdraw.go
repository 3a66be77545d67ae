package chain

import (
	"github.com/ethereum/go-ethereum/common"
)

// MaxPayoutDetails bounds a withdraw's encrypted bank account details.
const MaxPayoutDetails = 1024

// Payout is a withdrawal: funds burned from an account for its servicing
// bank to pay out to a bank account. Its id is the withdraw transaction's
// hash. Details are ECIES-encrypted to the bank's key; the chain never sees
// them in clear.
type Payout struct {
	ID      common.Hash
	Account common.Address
	Asset   string
	Amount  uint64
	Details []byte
	Height  uint64
	Time    uint64
	Track   BankTrack // the servicing bank's payout_executed
}

// PayoutKey is the state key of a payout.
func PayoutKey(id common.Hash) []byte { return append([]byte{PrefixPayout}, id[:]...) }
