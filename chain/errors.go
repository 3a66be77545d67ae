package chain

import (
	"errors"
	"fmt"
)

// RejectError is a rejection with a stable, machine-readable code. The code is
// what RPC returns and what a receipt stores, so it must never change once
// released.
type RejectError struct {
	Code string
}

func (e *RejectError) Error() string { return e.Code }

// Rejection codes. Callers tell them apart with errors.Is.
var (
	ErrMalformed         = &RejectError{"malformed"}
	ErrBadSignature      = &RejectError{"bad_signature"}
	ErrWrongChain        = &RejectError{"wrong_chain"}
	ErrBadNonce          = &RejectError{"bad_nonce"}
	ErrNonceTooHigh      = &RejectError{"nonce_too_high"}
	ErrUnknownType       = &RejectError{"unknown_type"}
	ErrInsufficientFunds = &RejectError{"insufficient_funds"}
	ErrUnknownAsset      = &RejectError{"unknown_asset"}
	ErrUnknownAccount    = &RejectError{"unknown_account"}
	ErrAccountExists     = &RejectError{"account_exists"}
	ErrNotAuthorized     = &RejectError{"not_authorized"}
	ErrNotIssuer         = &RejectError{"not_issuer"}
	ErrNotBank           = &RejectError{"not_bank"}
	ErrZeroAmount        = &RejectError{"zero_amount"}
	ErrOverflow          = &RejectError{"overflow"}
	ErrSelfTransfer      = &RejectError{"self_transfer"}
	ErrTooLarge          = &RejectError{"too_large"}
	ErrAlreadyKnown      = &RejectError{"already_known"}
	ErrPoolFull          = &RejectError{"pool_full"}
	ErrSenderLimit       = &RejectError{"sender_limit"}

	// Escrow, withdrawal and bank feedback (docs/ESCROW.md).
	ErrEscrowNotFound        = &RejectError{"escrow_not_found"}
	ErrEscrowNotOpen         = &RejectError{"escrow_not_open"}
	ErrAmountExceedsHold     = &RejectError{"amount_exceeds_hold"}
	ErrBadExpiry             = &RejectError{"bad_expiry"}
	ErrBadArbiter            = &RejectError{"bad_arbiter"}
	ErrHoldFeedbackRequired  = &RejectError{"hold_feedback_required"}
	ErrProtectionPeriod      = &RejectError{"protection_period"}
	ErrWithdrawalKeyRequired = &RejectError{"withdrawal_key_required"}
	ErrFeedbackMismatch      = &RejectError{"feedback_mismatch"}
	ErrBadEvidence           = &RejectError{"bad_evidence"}
	ErrEvidenceKnown         = &RejectError{"evidence_known"}
	ErrNotValidator          = &RejectError{"not_validator"}
	ErrHashChainPending      = &RejectError{"hash_chain_pending"}
	ErrDetailsNotEncrypted   = &RejectError{"details_not_encrypted"}
)

// AllRejectCodes lists every rejection so docs and tests can enumerate them.
var AllRejectCodes = []*RejectError{
	ErrMalformed, ErrBadSignature, ErrWrongChain, ErrBadNonce, ErrNonceTooHigh,
	ErrUnknownType, ErrInsufficientFunds, ErrUnknownAsset, ErrUnknownAccount,
	ErrAccountExists, ErrNotAuthorized, ErrNotIssuer, ErrNotBank, ErrZeroAmount,
	ErrOverflow, ErrSelfTransfer, ErrTooLarge, ErrAlreadyKnown, ErrPoolFull,
	ErrSenderLimit,
	ErrEscrowNotFound, ErrEscrowNotOpen, ErrAmountExceedsHold, ErrBadExpiry,
	ErrBadArbiter, ErrHoldFeedbackRequired, ErrProtectionPeriod,
	ErrWithdrawalKeyRequired, ErrFeedbackMismatch, ErrBadEvidence, ErrEvidenceKnown, ErrNotValidator, ErrHashChainPending,
	ErrDetailsNotEncrypted,
}

// CodeOf returns the rejection code carried by err, or "" when err is nil,
// or "internal" when err is not a rejection.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var re *RejectError
	if errors.As(err, &re) {
		return re.Code
	}
	return "internal"
}

// Reject wraps a sentinel with detail while keeping errors.Is working.
func Reject(code *RejectError, format string, args ...any) error {
	return fmt.Errorf("%w: %s", code, fmt.Sprintf(format, args...))
}

// ErrNotFound is returned for a block, receipt or transaction not stored.
var ErrNotFound = errors.New("not found")
