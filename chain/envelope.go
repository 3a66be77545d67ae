package chain

// CheckEnvelope applies the limits of a transaction's envelope that need no
// state and no signature recovery: its size, its chain id, and how many
// signatures its type may carry. It is the one place these are checked:
// the gossip validator, the pool's admission and block execution all call
// it, so a transaction refused by one is refused by all with the same code.
func CheckEnvelope(tx *Tx, chainID string) error {
	if n := tx.Size(); n > MaxTxBytes {
		return Reject(ErrTooLarge, "transaction is %d bytes, limit %d", n, MaxTxBytes)
	}
	if tx.ChainID() != chainID {
		return Reject(ErrWrongChain, "transaction is for chain %q, this is %q", tx.ChainID(), chainID)
	}
	n := len(tx.Sigs())
	if n > MaxTxSigs { // what no decoder accepts (DecodeTx)
		return Reject(ErrMalformed, "%d signatures, limit %d", n, MaxTxSigs)
	}
	if limit := MaxSigs(tx.Type()); n > limit {
		return Reject(ErrBadSignature, "%s takes at most %d signatures, has %d", tx.Type(), limit, n)
	}
	return nil
}
