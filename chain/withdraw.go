package chain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
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

// The layout of go-ethereum's crypto/ecies ciphertext for a secp256k1 key
// (ECIES_AES128_SHA256): the ephemeral public key R, uncompressed
// (0x04 ‖ X ‖ Y), the AES-128-CTR IV, the ciphertext, and the HMAC-SHA-256
// tag over IV ‖ ciphertext.
const (
	eciesPubLen = 65
	eciesIVLen  = 16
	eciesMACLen = 32
	// eciesOverhead is what ECIES adds to the plaintext.
	eciesOverhead = eciesPubLen + eciesIVLen + eciesMACLen
)

// CheckPayoutDetails checks that details are a well-formed ECIES ciphertext
// for a secp256k1 bank key, by structure: long enough for R, IV, at least
// one byte of ciphertext and the MAC, with R an uncompressed point on the
// curve. Only the bank can tell it was encrypted to its key; what this
// refuses is anything else, plaintext above all, with
// details_not_encrypted (docs/adr/0032-bounded-block-work.md).
func CheckPayoutDetails(details []byte) error {
	if len(details) == 0 || len(details) > MaxPayoutDetails {
		return Reject(ErrMalformed, "payout details must be 1-%d bytes of ciphertext", MaxPayoutDetails)
	}
	if len(details) < eciesOverhead+1 {
		return Reject(ErrDetailsNotEncrypted, "%d bytes is shorter than an ECIES ciphertext (%d bytes of key, IV and MAC, and the message)", len(details), eciesOverhead)
	}
	if details[0] != 0x04 {
		return Reject(ErrDetailsNotEncrypted, "does not start with an uncompressed public key (0x04, got %#x)", details[0])
	}
	if _, err := crypto.UnmarshalPubkey(details[:eciesPubLen]); err != nil {
		return Reject(ErrDetailsNotEncrypted, "ephemeral key is not a point on secp256k1")
	}
	return nil
}
