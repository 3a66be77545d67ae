package chain

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// End-to-end references (docs/adr/0043-camt054-import.md). A bank's
// payment instruction carries an EndToEndId of at most 35 characters, which
// comes back in its camt.054 notifications; a 32-byte record id in hex does
// not fit. Each escrow and payout is named by its kind letter and the first
// 16 bytes of its id in hex: "SE" or "SP" and 32 hex digits, 34 characters.
// 128 bits make a collision between records practically impossible; a
// lookup that finds two records refuses rather than guess.
const (
	EndToEndEscrowPrefix = "SE"
	EndToEndPayoutPrefix = "SP"
	EndToEndIDBytes      = 16
	MaxEndToEndID        = 35
)

// EscrowEndToEndID is the end-to-end reference of an escrow.
func EscrowEndToEndID(id common.Hash) string {
	return EndToEndEscrowPrefix + strings.ToUpper(hex.EncodeToString(id[:EndToEndIDBytes]))
}

// PayoutEndToEndID is the end-to-end reference of a payout.
func PayoutEndToEndID(id common.Hash) string {
	return EndToEndPayoutPrefix + strings.ToUpper(hex.EncodeToString(id[:EndToEndIDBytes]))
}

// ParseEndToEndID splits a reference into the state key prefix of the
// record it names (escrow or payout) and the id prefix. Case and
// surrounding space are ignored, as banks may change them.
func ParseEndToEndID(ref string) (keyPrefix byte, idPrefix []byte, err error) {
	ref = strings.ToUpper(strings.TrimSpace(ref))
	if len(ref) != len(EndToEndEscrowPrefix)+2*EndToEndIDBytes {
		return 0, nil, fmt.Errorf("end-to-end id %q is not a Sovereign reference (SE/SP and %d hex digits)", ref, 2*EndToEndIDBytes)
	}
	switch ref[:2] {
	case EndToEndEscrowPrefix:
		keyPrefix = PrefixEscrow
	case EndToEndPayoutPrefix:
		keyPrefix = PrefixPayout
	default:
		return 0, nil, fmt.Errorf("end-to-end id %q is not a Sovereign reference (SE/SP and %d hex digits)", ref, 2*EndToEndIDBytes)
	}
	idPrefix, err = hex.DecodeString(ref[2:])
	if err != nil {
		return 0, nil, fmt.Errorf("end-to-end id %q: %w", ref, err)
	}
	return keyPrefix, idPrefix, nil
}

// FeedbackReversal is a bank's report that it reversed an entry it had
// booked for the record (camt.054 RvslInd). Nothing on chain expects one:
// it always flags the record as a mismatch, with reason "reversal".
const FeedbackReversal FeedbackKind = 6

// ReasonReversal is the mismatch reason of a reversal.
const ReasonReversal = "reversal"

func init() { feedbackKindNames[FeedbackReversal] = "reversal" }
